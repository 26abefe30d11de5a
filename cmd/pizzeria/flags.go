package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// problems collects what is wrong with a command line and its environment,
// so that every problem is reported at once instead of one per attempt.
type problems struct{ errs []error }

func (p *problems) add(err error) { p.errs = append(p.errs, err) }
func (p *problems) err() error    { return errors.Join(p.errs...) }

// tolerant wraps a flag's value so that a bad value is recorded rather than
// stopping the parse at the first one.
type tolerant struct {
	pflag.Value
	flag *pflag.Flag
	into *problems
}

func (t tolerant) Set(s string) error {
	if err := setOrKeep(t.Value, s); err != nil {
		t.into.add(fmt.Errorf("--%s %s: %s", t.flag.Name, shown(t.flag, s), want(t.Value)))
	}
	return nil
}

// setOrKeep sets v, or leaves it as it was if s is not a valid value (some
// pflag values zero themselves on a failed Set).
func setOrKeep(v pflag.Value, s string) error {
	was := v.String()
	err := v.Set(s)
	if err != nil {
		_ = v.Set(was)
	}
	return err
}

// collectBadValues makes every flag of fs report a bad value into p.
func collectBadValues(fs *pflag.FlagSet, p *problems) {
	fs.VisitAll(func(f *pflag.Flag) {
		if _, done := f.Value.(tolerant); !done {
			f.Value = tolerant{Value: f.Value, flag: f, into: p}
		}
	})
}

// applyEnv sets every flag not given on the command line from its
// environment twin, if that is set. A bad value is recorded in p.
func applyEnv(fs *pflag.FlagSet, getenv env, p *problems) {
	fs.VisitAll(func(f *pflag.Flag) {
		keys := f.Annotations[annotationEnv]
		if f.Changed || len(keys) == 0 {
			return
		}
		v := getenv(keys[0])
		if v == "" {
			return
		}
		value := f.Value
		if t, ok := value.(tolerant); ok {
			value = t.Value
		}
		if err := setOrKeep(value, v); err != nil {
			p.add(fmt.Errorf("%s=%s (for --%s): %s", keys[0], shown(f, v), f.Name, want(value)))
		}
	})
}

// envTwins gives each flag of fs that has none an environment twin named
// prefix + its name in upper case, like PIZZERIA_BENCH_ORDERS for --orders.
func envTwins(fs *pflag.FlagSet, prefix string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if len(f.Annotations[annotationEnv]) > 0 {
			return
		}
		key := prefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		_ = fs.SetAnnotation(f.Name, annotationEnv, []string{key})
		f.Usage += fmt.Sprintf(" (env %s)", key)
	})
}

// shown is a value as it may be printed: quoted, or hidden if secret.
func shown(f *pflag.Flag, v string) string {
	if isSecret(f) {
		return "(value hidden)"
	}
	return fmt.Sprintf("%q", v)
}

func isSecret(f *pflag.Flag) bool { return len(f.Annotations[annotationSecret]) > 0 }

// want says what a flag of this type takes, in place of the parser's text.
func want(v pflag.Value) string {
	switch v.Type() {
	case "int", "int16", "int32", "int64":
		return "want a whole number"
	case "duration":
		return "want a duration such as 15s or 2m"
	case "bool":
		return "want true or false"
	}
	return "not a valid " + v.Type()
}
