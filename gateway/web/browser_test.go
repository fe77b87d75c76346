package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"docgate/gateway/evidence"
)

// chromiumPath is Debian's chromium; scripts/test installs it when missing.
const chromiumPath = "/usr/bin/chromium"

// mustBrowser starts a headless chromium for one test and returns a tab.
// The flags keep it off the network (the machines have none, and a
// browser left to itself keeps trying) and out of the user's profile.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need %s (apt-get install chromium): %v", chromiumPath, err)
	}
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// Start the browser with a context of its own: a timeout on the first
	// call would bind the browser's life to it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a bound, so a page that never shows what the test
// waits for fails the test instead of hanging it.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// artifactDir is where screenshots go: DOCGATE_TEST_ARTIFACTS when CI keeps
// them, otherwise the test's temp directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("DOCGATE_TEST_ARTIFACTS"); d != "" {
		dir := filepath.Join(d, "web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := read(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// mustSample writes a small PDF-looking file whose marker tells the fake
// verifier which verdict to give.
func mustSample(t *testing.T, name, marker string) (path, sum string) {
	t.Helper()
	b := []byte("%PDF-1.7\n" + marker + "\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	path = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return path, hex.EncodeToString(s[:])
}

func mustText(t *testing.T, ctx context.Context, id, want string) {
	t.Helper()
	if got := strings.TrimSpace(read(t, ctx, "read #"+id, chromedp.Text(chromedp.ID(id)))); got != want {
		t.Errorf("#%s reads %q, want %q", id, got, want)
	}
}

// TestBrowserVerify drives the real form on a desktop-sized window: choose
// a file, submit, read the verdict; switch to English, drop a file with the
// drag-and-drop script, read that verdict.
func TestBrowserVerify(t *testing.T) {
	e := mustEnv(t, 0)
	ctx := mustBrowser(t)
	dir := artifactDir(t)

	// The browser's own Accept-Language depends on the machine's locale,
	// so the test asks for Vietnamese explicitly (the default without any
	// preference is checked in TestLanguageChoice).
	step(t, ctx, "open the form", chromedp.Navigate(e.srv.URL+"/?lang=vi"), chromedp.WaitVisible(chromedp.ID("verify-form")))
	mustText(t, ctx, "lang-switch", "English")
	if h := read(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))); h != "Kiểm tra chữ ký số trên văn bản" {
		t.Errorf("heading %q, want the Vietnamese one", h)
	}
	screenshot(t, ctx, dir, "form-vi-desktop")

	valid, validSum := mustSample(t, "công-văn-7816.pdf", "")
	step(t, ctx, "upload through the form",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{valid}),
		chromedp.Click(chromedp.ID("verify-submit")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	mustText(t, ctx, "verdict-title", "HỢP LỆ")
	mustText(t, ctx, "file-name", "công-văn-7816.pdf")
	mustText(t, ctx, "file-sha256", validSum)
	if v := read(t, ctx, "verdict code", chromedp.AttributeValue(chromedp.ID("verdict"), "data-verdict")); v.Value != "VALID" {
		t.Errorf("data-verdict %q", v.Value)
	}
	screenshot(t, ctx, dir, "report-valid-vi-desktop")

	// The switch on a result page leads back to the form, now in English,
	// and the choice sticks for the next page.
	step(t, ctx, "switch to English", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("verify-form")))
	step(t, ctx, "reload", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("verify-form")))
	if h := read(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))); h != "Check the digital signatures on a document" {
		t.Errorf("heading after switching %q", h)
	}
	mustText(t, ctx, "lang-switch", "Tiếng Việt")

	// Drop a file on the dashed area, as a clerk would drag it from the
	// desktop; the script puts it into the file input.
	n := read(t, ctx, "drop a file", chromedp.Evaluate[int](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["%PDF-1.7\n%TAMPERED\n%%EOF\n"], "dropped.pdf", {type: "application/pdf"}));
		document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return document.getElementById("file").files.length;
	})()`))
	if n != 1 {
		t.Fatalf("after the drop the input holds %d files", n)
	}
	if got := read(t, ctx, "chosen name", chromedp.Text(chromedp.ID("drop-name"))); !strings.Contains(got, "dropped.pdf") {
		t.Errorf("the drop area shows %q", got)
	}
	step(t, ctx, "submit the dropped file", chromedp.Click(chromedp.ID("verify-submit")), chromedp.WaitVisible(chromedp.ID("verdict")))
	mustText(t, ctx, "verdict-title", "NOT VALID")
	mustText(t, ctx, "file-name", "dropped.pdf")
	changes := read(t, ctx, "changes", chromedp.Text(chromedp.ID("changes")))
	if !strings.Contains(changes, "page 1: content stream replaced") {
		t.Errorf("changes read %q", changes)
	}
	screenshot(t, ctx, dir, "report-invalid-en-desktop")
}

// TestBrowserPhoneWithoutScript checks the pages on a phone-sized screen
// and that the form works with JavaScript off (a plain form post).
func TestBrowserPhoneWithoutScript(t *testing.T) {
	e := mustEnv(t, 0)
	ctx := mustBrowser(t)
	dir := artifactDir(t)

	step(t, ctx, "open on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/?lang=vi"),
		chromedp.WaitVisible(chromedp.ID("verify-form")),
	)
	// Nothing wider than the screen, and a submit button a thumb can hit.
	m := read(t, ctx, "measure", chromedp.Evaluate[[]int](`(() => {
		const b = document.getElementById("verify-submit").getBoundingClientRect();
		return [document.documentElement.scrollWidth, window.innerWidth, Math.round(b.height), Math.round(b.width)];
	})()`))
	if len(m) != 4 {
		t.Fatalf("measured %v", m)
	}
	scrollW, innerW, btnH, btnW := m[0], m[1], m[2], m[3]
	if scrollW > innerW {
		t.Errorf("the form scrolls sideways on a phone: %d > %d", scrollW, innerW)
	}
	if btnH < 44 || btnW < innerW/2 {
		t.Errorf("the submit button is %dx%d px on a %d px screen", btnW, btnH, innerW)
	}
	screenshot(t, ctx, dir, "form-vi-phone")

	step(t, ctx, "turn scripts off", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	untrusted, _ := mustSample(t, "quyết-định.pdf", "%UNTRUSTED")
	step(t, ctx, "upload without scripts",
		chromedp.Navigate(e.srv.URL+"/verify"),
		chromedp.WaitVisible(chromedp.ID("verify-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{untrusted}),
		chromedp.Click(chromedp.ID("verify-submit")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	mustText(t, ctx, "verdict-title", "CHƯA XÁC ĐỊNH ĐƯỢC")
	body := read(t, ctx, "report text", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Không tìm thấy chuỗi chứng thư", "UBND tỉnh Bắc Ninh", "000.00.00.H41", "do máy của người ký tự khai"} {
		if !strings.Contains(body, want) {
			t.Errorf("the phone report lacks %q", want)
		}
	}
	screenshot(t, ctx, dir, "report-indeterminate-vi-phone")
}

// TestBrowserRealSignedPDF uploads real signed PDFs through the form to the
// real verifier (signing/pades): the signed one reads VALID, the one changed
// after signing reads NOT VALID and says what changed.
func TestBrowserRealSignedPDF(t *testing.T) {
	e := mustRealEnv(t, true)
	ctx := mustBrowser(t)
	dir := artifactDir(t)
	for _, tc := range []struct{ file, lang, verdict, shot string }{
		{realSigned, "vi", "HỢP LỆ", "report-real-signed-vi-desktop"},
		{realModified, "en", "NOT VALID", "report-real-modified-en-desktop"},
	} {
		// The browser opens the file itself, from its own working directory.
		abs, err := filepath.Abs(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "upload "+tc.file,
			chromedp.Navigate(e.srv.URL+"/verify?lang="+tc.lang),
			chromedp.WaitVisible(chromedp.ID("verify-form")),
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{abs}),
			chromedp.Click(chromedp.ID("verify-submit")),
			chromedp.WaitVisible(chromedp.ID("verdict")),
		)
		mustText(t, ctx, "verdict-title", tc.verdict)
		screenshot(t, ctx, dir, tc.shot)
	}
	if changes := read(t, ctx, "changes", chromedp.Text(chromedp.ID("changes"))); !strings.Contains(changes, "content stream replaced") {
		t.Errorf("the modified PDF's changes read %q", changes)
	}
}

// TestBrowserReceipt uploads a receipt through the same form: the page
// recognises it and says what it proves.
func TestBrowserReceipt(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC)
	der, roots := mustReceipt(t, &evidence.Record{
		EvidenceID: evidence.NewID(), Event: "SubmissionAcceptance", EventTime: at, SubmissionTime: at,
		DocumentID: "doc_7816", Sender: "000.00.00.H41", Recipients: []string{"000.00.00.G22"},
		Number: "7816/UBND-VP", Subject: "Báo cáo tình hình kinh tế - xã hội tháng 11",
		Document: evidence.PartDigest{Name: "bao-cao-t11.pdf", ContentType: "application/pdf", DigestMethod: "SHA-256", Digest: strings.Repeat("a1", 32)},
	})
	path := filepath.Join(t.TempDir(), "01-SubmissionAcceptance.p7s")
	if err := os.WriteFile(path, der, 0o644); err != nil {
		t.Fatal(err)
	}
	e := mustReceiptEnv(t, roots)
	ctx := mustBrowser(t)
	step(t, ctx, "upload a receipt",
		chromedp.Navigate(e.srv.URL+"/verify?lang=vi"),
		chromedp.WaitVisible(chromedp.ID("verify-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
		chromedp.Click(chromedp.ID("verify-submit")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	mustText(t, ctx, "verdict-title", "BIÊN NHẬN HỢP LỆ")
	mustText(t, ctx, "receipt-digest", strings.Repeat("a1", 32))
	screenshot(t, ctx, artifactDir(t), "receipt-valid-vi-desktop")
}

// TestBrowserSignedIn signs in through the form, opens the inbox, follows
// a document to its timeline and signs out; the inbox is also shot on a
// phone, where the table becomes cards.
func TestBrowserSignedIn(t *testing.T) {
	e, _, _ := mustAccountEnv(t)
	ctx := mustBrowser(t)
	dir := artifactDir(t)

	step(t, ctx, "sign in",
		chromedp.Navigate(e.srv.URL+"/login?lang=vi"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("token"), tokenH14),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("inbox")),
	)
	mustText(t, ctx, "who", "000.00.00.H14")
	if got := read(t, ctx, "the inbox's first subject", chromedp.Text(chromedp.CSS("#inbox .doc-link"))); got != "Về việc <i>kiểm tra</i> công tác văn thư" {
		t.Errorf("inbox subject %q", got)
	}
	// The session cookie is out of scripts' reach.
	if c := read(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(c, "docgate_token") {
		t.Errorf("a script can read the session: %q", c)
	}
	screenshot(t, ctx, dir, "inbox-vi-desktop")

	step(t, ctx, "open the document", chromedp.Click(chromedp.CSS("#inbox .doc-link")), chromedp.WaitVisible(chromedp.ID("timeline")))
	tl := read(t, ctx, "timeline", chromedp.Text(chromedp.ID("timeline")))
	for _, want := range []string{"Cổng đã nhận văn bản gửi đi", "Cơ quan nhận đã tải văn bản", "Cơ quan nhận từ chối văn bản", "Sai thẩm quyền", "Tải biên nhận"} {
		if !strings.Contains(tl, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	mustText(t, ctx, "verdict-title", "HỢP LỆ")
	screenshot(t, ctx, dir, "document-vi-desktop")

	// The recipient reports a status with the plain form; the page comes
	// back saying so, and the recipient's row shows the new status.
	step(t, ctx, "report a status",
		chromedp.SetValue(chromedp.ID("status-select"), "processing"),
		chromedp.Click(chromedp.ID("status-submit")),
		chromedp.WaitVisible(chromedp.ID("act-done")),
	)
	mustText(t, ctx, "act-done", "Đã báo trạng thái xử lý cho cơ quan gửi.")
	if got := read(t, ctx, "deliveries", chromedp.Text(chromedp.ID("deliveries"))); !strings.Contains(got, "Đang xử lý") {
		t.Errorf("the recipient's row reads %q", got)
	}

	step(t, ctx, "inbox on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/inbox"),
		chromedp.WaitVisible(chromedp.ID("inbox")),
	)
	if w := read(t, ctx, "width", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`)); len(w) != 2 || w[0] > w[1] {
		t.Errorf("the inbox scrolls sideways on a phone: %v", w)
	}
	screenshot(t, ctx, dir, "inbox-vi-phone")

	step(t, ctx, "sign out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "inbox after signing out", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.ID("login-form")))
}
