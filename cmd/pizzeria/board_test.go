package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBoardInChromium drives the web board in real headless Chromium: it
// places an order through the page, sees every pizza pass every stage and
// the order complete, sees the cheese chart change, and saves a screenshot
// (PIZZERIA_BOARD_SCREENSHOT, or pizzeria-board.png in the temp dir).
//
// It needs a browser, so it runs when PIZZERIA_BROWSER_TEST=1 (CI sets it
// and installs Debian's chromium); then a missing browser fails it.
func TestBoardInChromium(t *testing.T) {
	if os.Getenv("PIZZERIA_BROWSER_TEST") != "1" {
		t.Skip("set PIZZERIA_BROWSER_TEST=1 to drive the board in headless Chromium")
	}
	browser := findChromium()
	if browser == "" {
		t.Fatal("PIZZERIA_BROWSER_TEST=1 but no chromium on PATH: apt-get install -y chromium")
	}
	shot := os.Getenv("PIZZERIA_BOARD_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(os.TempDir(), "pizzeria-board.png")
	}
	in := start(t, "--data-dir", t.TempDir())

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()

	wait := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.base+"/"), chromedp.WaitVisible("#place")); err != nil {
		t.Fatalf("opening the board: %v", err)
	}
	wait("the kitchen stream is live", `document.querySelector("#conn").textContent === "live"`)
	before, err := chromedp.Run(ctx, chromedp.Text("#cheese-total"))
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx,
		chromedp.SetValue("#count", "6"),
		chromedp.Click("#place"),
	); err != nil {
		t.Fatalf("placing an order through the page: %v", err)
	}
	wait("the order completes on the page", `document.querySelector("#order-status").classList.contains("completed")`)
	wait("every pizza passed every stage",
		`document.querySelectorAll("#pizzas tbody tr").length === 6 &&
		 document.querySelectorAll("#pizzas td.stage.done").length === 24`)
	wait("the order is in the recent orders as completed",
		`[...document.querySelectorAll("#orders tbody tr")].some(r =>
		   r.dataset.order === document.querySelector("#order-status").dataset.order &&
		   r.querySelector(".status").classList.contains("completed"))`)
	wait("the cheese chart changes", `document.querySelector("#cheese-total").textContent !== "`+before+`" &&
		document.querySelectorAll("#cheese tbody tr").length > 0`)
	wait("the per-second rates showed the pizzas", `[...document.querySelectorAll("#rates dd")].some(d => d.textContent !== "0") ||
		document.querySelector("#cheese-total").textContent === "6"`)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("board screenshot: %s (%d bytes)", shot, len(png))
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
