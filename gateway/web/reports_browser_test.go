package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserReport opens the report as an admin on a desktop and on a
// phone: the charts are drawn (bars with height, coloured by the report's
// stylesheet), the numbers are there as text, and the page itself does not
// scroll sideways on the phone.
func TestBrowserReport(t *testing.T) {
	srv, rs := mustReportEnv(t)
	ctx := mustBrowser(t)
	dir := artifactDir(t)

	step(t, ctx, "sign in",
		chromedp.Navigate(srv.URL+"/login?lang=vi"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("token"), reportAdmin),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("main")),
		chromedp.Click(chromedp.ID("nav-reports")),
		chromedp.WaitVisible(chromedp.ID("chart-months")),
	)
	step(t, ctx, "pick a quarter", chromedp.Navigate(srv.URL+"/reports?from=2026-01&to=2026-03"), chromedp.WaitVisible(chromedp.ID("chart-months")))
	m := read(t, ctx, "measure the charts", chromedp.Evaluate[[]float64](`(() => {
		const bars = [...document.querySelectorAll("#chart-months rect.bar.sent")];
		const tall = bars.filter(b => b.getBoundingClientRect().height > 0).length;
		const fill = getComputedStyle(bars[0]).fill;
		const hist = document.querySelector("#latency-delivery svg").getBoundingClientRect();
		return [bars.length, tall, fill === "rgb(0, 0, 0)" ? 0 : 1, Math.round(hist.width), Math.round(hist.height)];
	})()`))
	if len(m) != 5 {
		t.Fatalf("measured %v", m)
	}
	sentMonths := map[string]bool{}
	for _, v := range rs.vols {
		if v.Sent > 0 {
			sentMonths[v.Month] = true
		}
	}
	if int(m[0]) != 3 || int(m[1]) != len(sentMonths) {
		t.Errorf("%v sent bars, %v of them drawn; want 3 and %d", m[0], m[1], len(sentMonths))
	}
	if m[2] != 1 {
		t.Errorf("the bars are black: the report's stylesheet did not apply")
	}
	if m[3] < 200 || m[4] < 100 {
		t.Errorf("the latency chart is %vx%v px", m[3], m[4])
	}
	screenshot(t, ctx, dir, "reports-vi-desktop")

	step(t, ctx, "open on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/reports?from=2025-04&to=2026-03&lang=en"),
		chromedp.WaitVisible(chromedp.ID("chart-months")),
	)
	w := read(t, ctx, "measure the phone page", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if len(w) != 2 || w[0] > w[1] {
		t.Errorf("the report scrolls sideways on a phone: %v", w)
	}
	mustText(t, ctx, "ontime-late", "20")
	screenshot(t, ctx, dir, "reports-en-phone")
}
