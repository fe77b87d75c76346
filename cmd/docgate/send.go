package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"docgate/gateway"
	"docgate/gateway/edxml"
)

const sendUsage = `send --to CODE[,CODE] --subject S [--number N] [--notation X] [--type T] [--urgency U] [--due DATE]
       [--message-id ID] [--replaces ID [--business replace|update]] [--attach F]... [--receipt-out F] FILE.pdf

Submits a signed PDF to one or more agencies as the agency of --token. The
gateway verifies its signatures first. The document id is printed alone on the
last line; --receipt-out saves the signed submission receipt (DER).`

// sendAnswer is the part of POST /v1/documents' answer send shows.
type sendAnswer struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`
	Receipt   []byte `json:"receipt"`
	ReceiptID string `json:"receiptId"`
	Document  struct {
		SubmittedAt time.Time `json:"submittedAt"`
	} `json:"document"`
}

func runSend(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "send", sendUsage)
	cf := addClientFlags(fs)
	var e gateway.Envelope
	var to, due, business, receiptOut string
	var attach stringList
	fs.StringVar(&to, "to", "", "recipient agency codes, comma-separated")
	fs.StringVar(&e.Subject, "subject", "", "the document's subject (trích yếu)")
	fs.StringVar(&e.Number, "number", "", "document number (số)")
	fs.StringVar(&e.Notation, "notation", "", "document notation (ký hiệu), e.g. UBND-VP")
	fs.StringVar(&e.Type, "type", "", "document type, e.g. Công văn")
	fs.StringVar(&e.Urgency, "urgency", "", "normal, urgent, express or flash")
	fs.StringVar(&due, "due", "", "due date, YYYY-MM-DD or RFC 3339")
	fs.StringVar(&e.MessageID, "message-id", "", "your idempotency key: sending again with it returns the first result; another document under it is refused")
	fs.StringVar(&e.Replaces, "replaces", "", "id of an earlier document of yours that this one replaces")
	fs.StringVar(&business, "business", "", "with --replaces: replace (default) or update")
	fs.Var(&attach, "attach", "attachment file (repeatable)")
	fs.StringVar(&receiptOut, "receipt-out", "", "write the submission receipt (DER CMS) to this file")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("send: give exactly one PDF file (usage: docgate %s)", strings.SplitN(sendUsage, "\n", 2)[0])
	}
	for _, c := range strings.Split(to, ",") {
		if c = strings.TrimSpace(c); c != "" {
			e.To = append(e.To, c)
		}
	}
	if len(e.To) == 0 {
		return usageErrorf("send: --to is required: the recipient agency codes, comma-separated")
	}
	if strings.TrimSpace(e.Subject) == "" {
		return usageErrorf("send: --subject is required")
	}
	if due != "" {
		t, err := parseDue(due)
		if err != nil {
			return usageErrorf("send: --due %q: use YYYY-MM-DD or RFC 3339", due)
		}
		e.DueDate = &t
	}
	if e.Replaces != "" {
		e.Business = gateway.BusinessReplace
		if business != "" {
			e.Business = gateway.BusinessType(business)
		}
	} else if business != "" {
		return usageErrorf("send: --business needs --replaces")
	}
	files := append([]string{fs.Arg(0)}, attach...)
	for _, f := range files {
		if st, err := os.Stat(f); err != nil {
			return usageErrorf("send: %v", err)
		} else if !st.Mode().IsRegular() {
			return usageErrorf("send: %s is not a regular file", f)
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	envJSON, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode envelope: %w", err)
	}
	// The body is written as it is sent: a large PDF is never held in memory.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	localErr := make(chan error, 1)
	go func() {
		err := writeSubmission(mw, envJSON, files)
		localErr <- err
		pw.CloseWithError(err)
	}()
	var out sendAnswer
	err = c.do(ctx, "POST", "/v1/documents", pr, mw.FormDataContentType(), &out)
	pr.Close()
	if err != nil {
		// A file that could not be read here breaks the upload too: say
		// that, not that the gateway is unreachable.
		select {
		case lerr := <-localErr:
			if lerr != nil && !errors.Is(lerr, io.ErrClosedPipe) {
				return failf("send: %v (nothing was sent)", lerr)
			}
		default:
		}
		return err
	}
	if receiptOut != "" {
		if err := os.WriteFile(receiptOut, out.Receipt, 0o644); err != nil {
			return failf("send: the document was accepted as %s, but the receipt could not be saved: %v", out.ID, err)
		}
	}
	fmt.Fprintf(env.Stdout, "sha256:  %s\nreceipt: %s\nsubmitted: %s\n%s\n", out.SHA256, out.ReceiptID,
		out.Document.SubmittedAt.Format(time.RFC3339), out.ID)
	return nil
}

func writeSubmission(mw *multipart.Writer, envJSON []byte, files []string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="envelope"`)
	h.Set("Content-Type", "application/json")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(envJSON); err != nil {
		return err
	}
	for i, path := range files {
		name, ct := "attachment", "application/octet-stream"
		if i == 0 {
			name, ct = "document", "application/pdf"
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, name, filepath.Base(path)))
		h.Set("Content-Type", ct)
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return mw.Close()
}

func parseDue(s string) (time.Time, error) {
	// A bare date is a day in Vietnam, as the gateway reads bare dates.
	if t, err := time.ParseInLocation(time.DateOnly, s, edxml.Vietnam()); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
