package web

import (
	"bytes"
	"crypto/x509"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
)

// DefaultMaxUpload bounds an uploaded PDF when Pages.MaxUpload is zero. It
// matches what agencies send (scanned dispatches of a few dozen pages) with
// room to spare; larger files belong to the API and the CLI.
const DefaultMaxUpload = 50 << 20

// defaultMaxConcurrent is how many verifications the pages run at once when
// Pages.MaxConcurrent is zero: verification is CPU work and the page is
// public, so a burst of uploads must not starve the API.
const defaultMaxConcurrent = 4

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Pages serves the browser pages. Its dependencies are plain fields set by
// whoever wires it (cmd/docgate); Handler builds the routes.
type Pages struct {
	// Verifier checks uploaded PDFs (signing/pades in production).
	Verifier gateway.Verifier
	// Online lets verification fetch revocation data (OCSP, CRL). The
	// verifier asks only for chains that already reached a trust anchor,
	// so an anonymous upload cannot make the gateway contact addresses of
	// its choosing; still off unless the wiring says so.
	Online bool
	// ReceiptRoots are the roots a receipt's seal and timestamp must chain
	// to (the gateway's own root); nil means the page cannot verify
	// receipts and says so.
	ReceiptRoots *x509.CertPool
	// ReceiptSeals are the gateway's own seal certificates, trusted as
	// receipt signers even without evidence.ReceiptSealPolicy (a seal from
	// the operator's CA).
	ReceiptSeals []*x509.Certificate
	// LogKey is the audit log's verifier key, with which an uploaded
	// evidence bundle's checkpoint is checked; empty uses the bundle's own
	// and the page warns that this proves only self-consistency.
	LogKey string
	// Auth and Exchange enable the signed-in pages (sign in with an API
	// token, an agency's inbox, a document's timeline and receipts); with
	// either nil those pages do not exist.
	Auth     authenticator
	Exchange exchangeReader
	// Reports enables the report page (/reports, /reports.csv) for
	// signed-in users; nil leaves it out.
	Reports reporter
	// Bundles enables the evidence-bundle download on a document's page
	// (the same zip as GET /v1/documents/{id}/bundle); nil leaves it out.
	Bundles bundler
	// Logger receives failures the user only sees as a request ID.
	Logger *slog.Logger
	// MaxUpload bounds an uploaded file in bytes; 0 means DefaultMaxUpload.
	MaxUpload int64
	// MaxConcurrent bounds verifications running at once; 0 means 4.
	MaxConcurrent int
	// TempDir is where uploads are spooled; "" means os.TempDir().
	TempDir string
	// VerifyTimeout bounds one verification; 0 means one minute.
	VerifyTimeout time.Duration
	// BusyWait is how long an upload waits for a free verification slot
	// before the page says "busy"; 0 means ten seconds.
	BusyWait time.Duration

	tmpl  map[string]*template.Template
	slots chan struct{}
}

// Handler returns the pages' router: GET / and /verify (the form), POST
// /verify (the report), GET /static/... (embedded CSS and script). Call it
// once. It panics if the embedded templates do not parse, which is a bug
// in this package that its tests catch, not a runtime condition.
func (p *Pages) Handler() http.Handler {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.MaxUpload <= 0 {
		p.MaxUpload = DefaultMaxUpload
	}
	if p.MaxConcurrent <= 0 {
		p.MaxConcurrent = defaultMaxConcurrent
	}
	if p.VerifyTimeout <= 0 {
		p.VerifyTimeout = time.Minute
	}
	if p.BusyWait <= 0 {
		p.BusyWait = 10 * time.Second
	}
	p.slots = make(chan struct{}, p.MaxConcurrent)
	p.tmpl = mustTemplates()

	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		p.renderError(w, r, http.StatusNotFound, "err.notfound.h", "err.notfound")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		p.renderError(w, r, http.StatusMethodNotAllowed, "err.title", "err.method")
	})
	p.routeVerify(r)
	p.routeStatic(r)
	if p.accounts() {
		p.routeAccount(r)
		if p.Reports != nil {
			p.routeReports(r)
		}
	}
	return r
}

func (p *Pages) accounts() bool { return p.Auth != nil && p.Exchange != nil }

// mustTemplates parses one template set per page: each page defines the
// "content" block that the shared layout calls, so the pages cannot share
// one set.
func mustTemplates() map[string]*template.Template {
	funcs := template.FuncMap{}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/icons.html", "templates/reportbody.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"reports.html", "verify.html", "report.html", "receipt.html", "bundle.html", "error.html", "login.html", "inbox.html", "sent.html", "document.html", "agencies.html"} {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name))
		out[name] = t
	}
	return out
}

// page is what every template gets: the language's messages and the data
// of one page. Templates call .T "key" for every word they show.
type page struct {
	Lang     string
	Title    string
	Path     string // the page's own path, for the language switch
	Error    string
	MaxBytes string
	Report   *reportView
	Receipt  *receiptView
	Bundle   *bundleView
	// Signed-in pages: whether they exist, whether the browser holds a
	// session, and the principal on pages that checked it.
	Accounts   bool
	HasSession bool
	User       *gateway.Principal
	Inbox      []inboxRow
	Search     *inboxSearch
	Sent       []sentRow
	Older      string
	Document   *documentView
	Agencies   *agenciesView
	Stats      *reportsView
	Back       string // where an error page's button leads; "" is /verify
	msgs       map[string]string
}

// T returns the message for key in the page's language. A missing key shows
// as ⟦key⟧ rather than an empty string so that tests and translators spot it.
func (pg *page) T(key string) string {
	if s, ok := pg.msgs[key]; ok {
		return s
	}
	return "⟦" + key + "⟧"
}

// Tf formats the message for key with args.
func (pg *page) Tf(key string, args ...any) string {
	return fmt.Sprintf(pg.T(key), args...)
}

// newPage starts a page in the request's language and remembers a language
// chosen with ?lang= in a cookie.
func (p *Pages) newPage(w http.ResponseWriter, r *http.Request, titleKey string) *page {
	lang, fromQuery := chooseLang(r)
	if fromQuery {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
		})
	}
	pg := &page{Lang: lang, Path: r.URL.Path, msgs: messages[lang], MaxBytes: humanBytes(p.MaxUpload), Accounts: p.accounts()}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		pg.HasSession = true
	}
	pg.Title = pg.T(titleKey)
	// A result page is the answer to a POST; switching language there goes
	// back to the form, which is a GET.
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		pg.Path = "/verify"
	}
	return pg
}

// render executes a page into a buffer first, so that a template failure
// becomes a clean error page instead of half a page with a 200.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	var buf bytes.Buffer
	if err := p.tmpl[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		p.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", pg.Lang)
	w.Header().Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *Pages) renderError(w http.ResponseWriter, r *http.Request, status int, titleKey, msgKey string, args ...any) {
	pg := p.newPage(w, r, titleKey)
	pg.Error = pg.Tf(msgKey, args...)
	p.render(w, r, status, "error.html", pg)
}

// securityHeaders forbids everything the pages do not need: no inline or
// foreign scripts, no framing (clickjacking a verdict), no sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (p *Pages) routeStatic(r chi.Router) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		// The assets change only with a new binary; an hour keeps pages
		// fast without pinning an old stylesheet for long after an upgrade.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// humanBytes writes a size the way a clerk reads it.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
