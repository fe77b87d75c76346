package main

import (
	"context"
	"fmt"
	"time"

	"docgate/gateway"
)

const ackUsage = `ack ID

Acknowledges that the agency of --token retrieved the document: it leaves the
inbox, and the sender gets a signed ContentHandover receipt.`

// stepAnswer is the answer of ack, status and recall.
type stepAnswer struct {
	Receipt gateway.Receipt `json:"receipt"`
	CMS     []byte          `json:"cms"`
}

func (a *stepAnswer) print(env *Env) {
	fmt.Fprintf(env.Stdout, "%s receipt %s at %s\n", a.Receipt.Event, a.Receipt.ID, a.Receipt.At.Format(time.RFC3339))
}

func runAck(ctx context.Context, env *Env, args []string) error {
	cf, id, err := oneArg(env, "ack", ackUsage, args, "document id", nil)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out stepAnswer
	if err := c.doJSON(ctx, "POST", "/v1/documents/"+escape(id)+"/ack", nil, &out); err != nil {
		return err
	}
	out.print(env)
	return nil
}
