package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"docgate/gateway"
	"docgate/gateway/delivery"
	"docgate/gateway/exchange"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
)

// startDelivery starts the push workers when --delivery-workers is above
// zero. The returned stop waits for them: they stop when ctx ends, finishing
// the push in hand and releasing the jobs they had claimed, so it must run
// before the store closes.
func startDelivery(ctx context.Context, cfg *ServeConfig, store gateway.Store, ex *exchange.Service, publicURL string,
	reg *httpapi.Registry, logger *slog.Logger) (stop func(), err error) {
	if cfg.DeliveryWorkers <= 0 {
		logger.Info("push delivery is off (--delivery-workers 0); recipients pull from their inbox")
		return func() {}, nil
	}
	if ex == nil {
		return func() {}, nil // no exchange, no documents to push
	}
	q, ok := store.(delivery.Queue)
	if !ok {
		return nil, failf("serve: this store cannot queue pushes")
	}
	if cfg.PublicURL != "" {
		publicURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	policy := delivery.TargetPolicy{AllowPrivate: cfg.WebhookAllowPrivate}
	w := &delivery.Workers{
		Queue:   q,
		Pusher:  delivery.NewClient(policy, cfg.WebhookTimeout, publicURL),
		Count:   cfg.DeliveryWorkers,
		Backoff: cfg.WebhookBackoff,
		// The lease outlives a push by a wide margin, so that a slow
		// receiver never gets the same push from two replicas.
		Lease:  4*cfg.WebhookTimeout + time.Minute,
		Logger: logger.With("component", "delivery"),
		OnDelivered: func(ctx context.Context, j *delivery.Job) error {
			return ex.RecordPushed(ctx, j.DocumentID, j.Recipient)
		},
		OnFailed: func(ctx context.Context, j *delivery.Job, reason string) error {
			return ex.RecordPushFailed(ctx, j.DocumentID, j.Recipient, reason)
		},
	}
	if reg != nil {
		registerDeliveryMetrics(reg, &w.Stats)
	}
	// Its own context, so that serve returning early on an error stops the
	// workers too.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	logger.Info("push delivery started", "workers", cfg.DeliveryWorkers, "allow_private_targets", cfg.WebhookAllowPrivate,
		"links", publicURL)
	return func() { cancel(); wg.Wait() }, nil
}

// webhookGuard checks webhook URLs as agencies are registered or changed,
// before the registry stores them: only public addresses unless
// --webhook-allow-private. It sits between the registry and the store so
// that the registry's own checks (shape, scheme) stay where they are; the
// workers check the dialled address again on every push.
type webhookGuard struct {
	registry.Store
	policy delivery.TargetPolicy
}

func (g webhookGuard) CreateAgency(ctx context.Context, a *gateway.Agency) error {
	if a.Webhook != "" {
		if err := g.policy.CheckURL(ctx, a.Webhook); err != nil {
			return err
		}
	}
	return g.Store.CreateAgency(ctx, a)
}

func (g webhookGuard) UpdateAgency(ctx context.Context, code string, upd gateway.AgencyUpdate) (*gateway.Agency, error) {
	if upd.Webhook != nil && *upd.Webhook != "" {
		if err := g.policy.CheckURL(ctx, *upd.Webhook); err != nil {
			return nil, err
		}
	}
	return g.Store.UpdateAgency(ctx, code, upd)
}

// newMetricsRegistry is the registry /metrics serves: the Go runtime, the
// process, and what the server adds to it (push delivery).
func newMetricsRegistry() *httpapi.Registry {
	reg := httpapi.NewRegistry()
	reg.RegisterRuntime()
	return reg
}

func registerDeliveryMetrics(reg *httpapi.Registry, s *delivery.Stats) {
	counter := func(name, help string, read func() int64) {
		reg.CounterFunc("docgate_delivery_"+name, help, func() float64 { return float64(read()) })
	}
	counter("pushes_delivered_total", "Pushes a recipient's webhook accepted.", s.Delivered.Load)
	counter("pushes_retried_total", "Push attempts that failed and will be retried.", s.Retried.Load)
	counter("pushes_failed_total", "Pushes that failed after the last attempt (the sender gets a non-delivery receipt).", s.Failed.Load)
	counter("leases_lost_total", "Pushes whose claim ran out before they were recorded (the receiver may see them twice).", s.LeaseLost.Load)
	counter("hook_errors_total", "Receipts for push outcomes that could not be issued yet (retried).", s.HookErrs.Load)
}
