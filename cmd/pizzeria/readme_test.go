package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/internal/testkit"
)

// step is one command of the README's walk through and what it printed.
type step struct {
	command string
	output  []string
}

// walkthrough reads the console block of the README's "A walk through".
func walkthrough(t *testing.T) []step {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## A walk through\n")
	if !ok {
		t.Fatal("README has no walk through")
	}
	_, block, ok := strings.Cut(section, "```console\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("the walk through has no console block")
	}
	var steps []step
	for _, line := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, step{command: cmd})
		} else if len(steps) > 0 {
			steps[len(steps)-1].output = append(steps[len(steps)-1].output, line)
		}
	}
	return steps
}

var curlLine = regexp.MustCompile(`^curl -s(i?)( -XPOST)? '?localhost:8080([^' ]+)'?(?: -H '([^']+)')?(?: -d '([^']+)')?$`)

// The README's walk through, run for real: every command it shows is run,
// and every answer must have the shape printed there (same status, same
// headers, same JSON members and types, same fixed values).
func TestReadmeWalkthrough(t *testing.T) {
	steps := walkthrough(t)
	if len(steps) < 6 {
		t.Fatalf("walk through has %d commands", len(steps))
	}
	dir := t.TempDir()
	var in *instance
	ids := map[string]string{} // README order id -> this run's
	for _, s := range steps {
		switch m := curlLine.FindStringSubmatch(s.command); {
		case s.command == "dir=$(mktemp -d)":
		case strings.HasPrefix(s.command, `pizzeria --data-dir "$dir"`) && strings.HasSuffix(s.command, "&"):
			in = start(t, "--data-dir", dir)
		case s.command == "kill %1":
			in.stop(t)
		case s.command == `pizzeria replay --data-dir "$dir"`:
			var out testkit.Buffer
			if code := run(t.Context(), []string{"replay", "--data-dir", dir}, func(string) string { return "" }, &out, &out); code != 0 {
				t.Fatalf("replay exited %d: %s", code, out.String())
			}
			got := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(got) != len(s.output) {
				t.Fatalf("replay printed\n%s\nREADME shows\n%s", out.String(), strings.Join(s.output, "\n"))
			}
			for i := range got {
				if withoutTime(got[i]) != withoutTime(s.output[i]) {
					t.Errorf("replay printed %q, README shows %q", got[i], s.output[i])
				}
			}
		case m != nil:
			checkCurl(t, in, m, s.output, ids)
		default:
			t.Fatalf("the walk through shows a command this test does not run: %s", s.command)
		}
	}
}

var took = regexp.MustCompile(`in [0-9.]+[µm]?s$`)

func withoutTime(s string) string { return took.ReplaceAllString(s, "in …") }

func checkCurl(t *testing.T, in *instance, m []string, shown []string, ids map[string]string) {
	t.Helper()
	withHeaders, post, target, header, body := m[1] == "i", m[2] != "", m[3], m[4], m[5]
	for readme, ours := range ids {
		target = strings.ReplaceAll(target, readme, ours)
	}
	method := map[bool]string{true: "POST", false: "GET"}[post]
	req, err := http.NewRequest(method, in.base+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if name, value, ok := strings.Cut(header, ": "); ok {
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	wantBody := shown[len(shown)-1]
	if withHeaders {
		status := fmt.Sprintf("HTTP/1.1 %s", resp.Status)
		if shown[0] != status {
			t.Errorf("%s %s: %s, README shows %s", method, target, status, shown[0])
		}
		var names []string
		for _, line := range shown[1 : len(shown)-2] {
			name, _, _ := strings.Cut(line, ": ")
			names = append(names, name)
			if resp.Header.Get(name) == "" {
				t.Errorf("%s %s: no %s header", method, target, name)
			}
		}
		if len(names) != len(resp.Header) {
			t.Errorf("%s %s: headers %v, README shows %v", method, target, resp.Header, names)
		}
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	if json.Unmarshal([]byte(wantBody), &placed) == nil && placed.OrderID != "" && method == "POST" {
		var ours struct {
			OrderID string `json:"order_id"`
		}
		_ = json.Unmarshal(got, &ours)
		ids[placed.OrderID] = ours.OrderID
		if withHeaders && resp.Header.Get("Location") != "/orders/"+ours.OrderID {
			t.Errorf("Location %q", resp.Header.Get("Location"))
		}
	}
	if shape(t, got) != shape(t, []byte(wantBody)) {
		t.Errorf("%s %s answered\n%s\nwhose shape is\n%s\nREADME shows\n%s\nwhose shape is\n%s", method, target, got, shape(t, got), wantBody, shape(t, []byte(wantBody)))
	}
}

// fixed are members whose values the walk through does not leave to chance.
var fixed = map[string]bool{"status": true, "count": true, "stage": true, "total": true, "type": true, "title": true, "detail": true, "instance": true}

// shape describes a JSON document by its members and their types, and the
// values of the fixed members; arrays by their first element.
func shape(t *testing.T, doc []byte) string {
	t.Helper()
	if strings.Contains(strings.TrimSpace(string(doc)), "\n") {
		return "not one line"
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return "not JSON: " + err.Error()
	}
	var b strings.Builder
	if strings.Contains(string(doc), "&") {
		b.WriteString("an unescaped & (the service writes \\u0026)\n")
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			var ks []string
			for k := range x {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				if fixed[k] && path == "" || fixed[k] && (k == "stage" || k == "status") {
					fmt.Fprintf(&b, "%s.%s=%v\n", path, k, x[k])
				}
				walk(path+"."+k, x[k])
			}
		case []any:
			if len(x) > 0 {
				walk(path+"[]", x[0])
			}
		default:
			fmt.Fprintf(&b, "%s %T\n", path, x)
		}
	}
	walk("", v)
	return b.String()
}
