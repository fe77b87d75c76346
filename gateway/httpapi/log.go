package httpapi

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/auditlog"
)

// routeLogKey is public: an auditor needs the key before holding a token,
// and it is no secret. Fetching it from the server still trusts the server,
// which is why the CLI lets auditors pin it.
func (s *Server) routeLogKey(r chi.Router) {
	r.Get("/v1/log/key", s.handleLogKey)
}

// routeLog serves the delivery log to any authenticated caller.
func (s *Server) routeLog(r chi.Router) {
	r.Get("/v1/log/checkpoint", s.handleLogCheckpoint)
	r.Get("/v1/log/proof/inclusion", s.handleLogInclusion)
	r.Get("/v1/log/proof/consistency", s.handleLogConsistency)
}

func (s *Server) logConfigured(w http.ResponseWriter, r *http.Request) bool {
	if s.Log == nil {
		s.writeError(w, r, gateway.Errorf(gateway.ENOTFOUND, "this gateway keeps no audit log"))
		return false
	}
	return true
}

func writeText(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func (s *Server) handleLogKey(w http.ResponseWriter, r *http.Request) {
	if s.LogKey == "" {
		s.writeError(w, r, gateway.Errorf(gateway.ENOTFOUND, "this gateway keeps no audit log"))
		return
	}
	writeText(w, []byte(s.LogKey+"\n"))
}

// handleLogCheckpoint signs a checkpoint of the log as it is now.
func (s *Server) handleLogCheckpoint(w http.ResponseWriter, r *http.Request) {
	if !s.logConfigured(w, r) {
		return
	}
	cp, err := s.Log.Checkpoint(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeText(w, cp)
}

// InclusionProof is the answer of GET /v1/log/proof/inclusion.
type InclusionProof struct {
	Leaf     uint64   `json:"leaf"`
	TreeSize uint64   `json:"treeSize"`
	Hashes   [][]byte `json:"hashes"` // base64, the leaf's sibling first
	// LeafData is the leaf's canonical record, for those allowed to see it:
	// admins, auditors and the agencies the record names.
	LeafData []byte `json:"leafData,omitempty"`
	// Checkpoint and Proof are set when the request gave no size: a
	// checkpoint signed now, and the self-contained c2sp.org/tlog-proof.
	Checkpoint string `json:"checkpoint,omitempty"`
	Proof      string `json:"proof,omitempty"`
}

// ConsistencyProof is the answer of GET /v1/log/proof/consistency.
type ConsistencyProof struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
	// Checkpoint is set when the request gave no "to": a checkpoint signed
	// now, of size To.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// queryUint reads a non-negative integer parameter; ok is false when it is
// absent.
func queryUint(r *http.Request, name string) (v uint64, ok bool, err error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, false, gateway.Errorf(gateway.EINVALID, "query parameter %s must be a non-negative integer, got %q", name, s)
	}
	return v, true, nil
}

func (s *Server) handleLogInclusion(w http.ResponseWriter, r *http.Request) {
	if !s.logConfigured(w, r) {
		return
	}
	ctx := r.Context()
	leaf, ok, err := queryUint(r, "leaf")
	if err == nil && !ok {
		err = gateway.Errorf(gateway.EINVALID, "query parameter leaf (the leaf index) is required")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size, sized, err := queryUint(r, "size")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out InclusionProof
	if sized {
		path, err := s.Log.InclusionProof(ctx, leaf, size)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = InclusionProof{Leaf: leaf, TreeSize: size, Hashes: path}
	} else {
		p, err := s.Log.Prove(ctx, leaf)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		text, err := p.MarshalText()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		size, err := checkpointSize(p.Checkpoint)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = InclusionProof{Leaf: leaf, TreeSize: size, Hashes: p.Path, Checkpoint: string(p.Checkpoint), Proof: string(text)}
	}
	if out.Hashes == nil {
		out.Hashes = [][]byte{}
	}
	data, err := s.Log.Leaf(ctx, leaf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if mayReadLeaf(gateway.PrincipalFromContext(ctx), data) {
		out.LeafData = data
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// mayReadLeaf says whether p may see a leaf's record: it names documents and
// the agencies that exchanged them, which is no business of other agencies.
// The proof itself reveals only hashes and is given to anyone.
func mayReadLeaf(p *gateway.Principal, data []byte) bool {
	if p == nil {
		return false
	}
	if p.Role == gateway.RoleAdmin || p.Role == gateway.RoleAuditor {
		return true
	}
	rec, err := auditlog.ParseLeafRecord(data)
	if err != nil || p.AgencyCode == "" {
		return false
	}
	return rec.From == p.AgencyCode || slices.Contains(rec.To, p.AgencyCode)
}

func (s *Server) handleLogConsistency(w http.ResponseWriter, r *http.Request) {
	if !s.logConfigured(w, r) {
		return
	}
	ctx := r.Context()
	from, ok, err := queryUint(r, "from")
	if err == nil && !ok {
		err = gateway.Errorf(gateway.EINVALID, "query parameter from (the older tree size) is required")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, sized, err := queryUint(r, "to")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var cp []byte
	if !sized {
		if cp, err = s.Log.Checkpoint(ctx); err == nil {
			to, err = checkpointSize(cp)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	path, err := s.Log.ConsistencyProof(ctx, from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if path == nil {
		path = [][]byte{}
	}
	s.writeJSON(w, r, http.StatusOK, ConsistencyProof{From: from, To: to, Hashes: path, Checkpoint: string(cp)})
}

// checkpointSize reads the size of a checkpoint the log itself just signed.
func checkpointSize(signed []byte) (uint64, error) {
	body, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return 0, gateway.Errorf(gateway.EINTERNAL, "the log signed a checkpoint without a signature block")
	}
	c, err := auditlog.ParseCheckpoint(string(body) + "\n")
	if err != nil {
		return 0, err
	}
	return c.Size, nil
}
