package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pizzeria/pizzeria/"

// allowed lists, for each package, the packages of this module it may
// import. A package not listed may import anything (cmd/, tests' helpers,
// the bench driver).
var allowed = map[string][]string{
	"events":              {},
	"command":             {"events"},
	"kitchen":             {"events"},
	"query":               {},
	"projections":         {"events", "query", "internal/boltstore"},
	"api":                 {"command", "query", "events", "web", "internal/telemetry"},
	"web":                 {},
	"internal/boltlog":    {"internal/pagecache"},
	"internal/kafka":      {},
	"internal/boltstore":  {"kitchen", "internal/pagecache"},
	"internal/pagecache":  {},
	"internal/deadletter": {"events"},
	"internal/faults":     {},
	"internal/pipeline":   {"internal/deadletter", "internal/faults"},
	"internal/telemetry":  {"events"},
	"internal/archtest":   {},
}

// Each package imports only what its layer may: a transport that reaches
// for the kitchen's header names, or an HTTP handler that reaches into a
// store, fails here with the import to remove.
func TestLayersPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "github.com/pizzeria/pizzeria/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, module)
		may, ruled := allowed[pkg]
		if !ruled {
			continue
		}
		seen++
		for _, imp := range strings.Fields(imports) {
			dep, ours := strings.CutPrefix(imp, module)
			if !ours || dep == pkg {
				continue
			}
			ok := false
			for _, a := range may {
				ok = ok || dep == a
			}
			if !ok {
				t.Errorf("%s imports %s: its layer may import only %v", pkg, dep, may)
			}
		}
	}
	if seen < 8 {
		t.Fatalf("go list named only %d of the ruled packages: the test no longer sees the tree", seen)
	}
}
