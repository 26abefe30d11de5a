// Package web is the kitchen board served at /: plain HTML, CSS and
// JavaScript embedded in the binary, with no build step and nothing loaded
// from elsewhere. It is built on the API's live streams.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed board
var assets embed.FS

// Board is the board's HTTP handler.
type Board struct{ http.Handler }

// Paths lists every URL path the board serves: / and each asset.
func (Board) Paths() []string {
	paths := []string{"/"}
	fs.WalkDir(assets, "board", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "board/index.html" {
			paths = append(paths, "/"+p)
		}
		return nil
	})
	return paths
}

// Handler serves the board: index.html at / and its assets under /board/.
func Handler() Board {
	sub, err := fs.Sub(assets, "board")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	files := http.FileServerFS(sub)
	return Board{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == "/" {
			h.Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, sub, "index.html")
			return
		}
		h.Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/board")
		files.ServeHTTP(w, r2)
	})}
}
