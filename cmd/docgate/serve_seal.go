package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"docgate/certs"
	"docgate/certs/keys"
	"docgate/gateway"
	"docgate/gateway/exchange"
	"docgate/signing/pades"
)

// gatewaySeal is one agency's seal key the gateway holds.
type gatewaySeal struct {
	code, cert, key string
}

// parseGatewaySeal reads --gateway-seal CODE=CERT,KEY.
func parseGatewaySeal(v string) (gatewaySeal, error) {
	code, files, ok := strings.Cut(v, "=")
	cert, key, ok2 := strings.Cut(files, ",")
	code, cert, key = strings.TrimSpace(code), strings.TrimSpace(cert), strings.TrimSpace(key)
	if !ok || !ok2 || code == "" || cert == "" || key == "" {
		return gatewaySeal{}, usageErrorf("serve: --gateway-seal %q: give CODE=CERT,KEY, e.g. 000.00.00.H41=h41-seal.crt,h41-seal.key", v)
	}
	return gatewaySeal{code: code, cert: cert, key: key}, nil
}

// gatewaySealSpecs lists the seals of --gateway-seal (several per value
// when separated by ';', as DOCGATE_GATEWAY_SEAL holds them) and of the
// CODE.crt/CODE.key pairs in --gateway-seal-dir.
func gatewaySealSpecs(cfg *ServeConfig) ([]gatewaySeal, error) {
	var out []gatewaySeal
	for _, v := range cfg.GatewaySeals {
		for _, one := range strings.Split(v, ";") {
			if strings.TrimSpace(one) == "" {
				continue
			}
			gs, err := parseGatewaySeal(one)
			if err != nil {
				return nil, err
			}
			out = append(out, gs)
		}
	}
	if cfg.GatewaySealDir != "" {
		crts, err := filepath.Glob(filepath.Join(cfg.GatewaySealDir, "*.crt"))
		if err != nil {
			return nil, usageErrorf("serve: --gateway-seal-dir: %v", err)
		}
		if len(crts) == 0 {
			return nil, usageErrorf("serve: --gateway-seal-dir %s holds no CODE.crt files", cfg.GatewaySealDir)
		}
		for _, crt := range crts {
			code := strings.TrimSuffix(filepath.Base(crt), ".crt")
			out = append(out, gatewaySeal{code: code, cert: crt, key: strings.TrimSuffix(crt, ".crt") + ".key"})
		}
	}
	return out, nil
}

// openGatewaySeals loads the seal keys the gateway holds. A certificate that
// names another agency than the one it is given for is refused: the gateway
// would otherwise seal one agency's documents as another's. Keys are files
// (PEM or DER), so there is no hardware session to release.
func openGatewaySeals(ctx context.Context, cfg *ServeConfig, tsa pades.Timestamper, logger *slog.Logger) (map[string]exchange.AgencySeal, error) {
	specs, err := gatewaySealSpecs(cfg)
	if err != nil || len(specs) == 0 {
		return nil, err
	}
	seals := map[string]exchange.AgencySeal{}
	fail := func(err error) (map[string]exchange.AgencySeal, error) { return nil, err }
	for _, gs := range specs {
		if err := cfg.CodeRule.Validate(gs.code); err != nil {
			return fail(usageErrorf("serve: gateway seal %s: %s", gs.code, gateway.ErrorMessage(err)))
		}
		if _, dup := seals[gs.code]; dup {
			return fail(usageErrorf("serve: two gateway seals for agency %s", gs.code))
		}
		if _, err := os.Stat(gs.key); err != nil {
			return fail(usageErrorf("serve: gateway seal of %s: %v", gs.code, err))
		}
		signer, chain, _, err := keys.Load(ctx, keys.Spec{CertFile: gs.cert, KeyFile: gs.key})
		if err != nil {
			return fail(usageErrorf("serve: gateway seal of %s (%s, %s): %s", gs.code, gs.cert, gs.key, describe(err)))
		}
		if c := certs.AgencyCodeWith(chain[0], cfg.CodeRule); c != "" && c != gs.code {
			return fail(usageErrorf("serve: gateway seal %s: the certificate %s is of agency %s", gs.code, gs.cert, c))
		}
		sum := sha256.Sum256(chain[0].Raw)
		opts := pades.SignOptions{Signer: signer, Chain: chain, Reason: "Gateway seal on behalf of " + gs.code}
		if tsa != nil {
			opts.Timestamper = tsa
		}
		seals[gs.code] = exchange.AgencySeal{
			CertificateSHA256: hex.EncodeToString(sum[:]),
			Seal: func(ctx context.Context, in io.ReaderAt, size int64, out io.Writer) error {
				_, err := pades.Sign(ctx, in, size, out, opts)
				var refused *pades.RefusalError
				if errors.As(err, &refused) {
					return gateway.Errorf(gateway.EINVALID, "%s", refused.Error())
				}
				return err
			},
		}
		logger.Info("the gateway holds a seal key", "agency", gs.code, "subject", certs.SubjectString(chain[0]))
	}
	return seals, nil
}
