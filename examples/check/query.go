package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// authKeys are the trigger metadata keys that choose how requests to the
// manifest's server authenticate. They are dropped for -server, whose
// authentication the flags set.
var authKeys = []string{"awsRegion", "identityOwner", "awsRoleArn", "authModes", "authMode"}

// queryObject polls the object's triggers once against -server and prints
// the decision of a scaler with no history.
func (c *checker) queryObject(ctx context.Context, so *scaler.ScaledObject) {
	replicas := c.startReplicas(so)
	fmt.Fprintf(c.out, "\n  query at %s against %s, in place of each trigger's serverAddress (%s), from %s:\n",
		c.opts.at.UTC().Format(time.RFC3339), c.opts.server, c.authDescription(), plural(int(replicas), "replica"))

	s, err := c.newScaler(withServer(so, c.opts), replicas)
	if err != nil {
		c.problems++
		printEntry(c.out, "    ", "error: "+err.Error())
		return
	}
	d, err := s.Step(ctx, c.opts.at)
	printIndented(c.out, "    ", d.Explain())
	fmt.Fprintf(c.out, "    replicas: %d → %d (%s)\n", replicas, d.DesiredReplicas, d.Action)
	if err == nil {
		return
	}

	if noResponse(err) {
		c.cannotRun = true
		return
	}
	c.problems++
}

// newScaler builds the scaler of the rewritten object on a MemoryTarget.
func (c *checker) newScaler(probe *scaler.ScaledObject, replicas int32) (*scaler.Scaler, error) {
	target := scaler.NewMemoryTarget(replicas, nil)
	cfg, err := probe.Config(scaler.BuildOptions{Target: target})
	if err != nil {
		return nil, err
	}

	// The object counts as created more than its initial cooldown before
	// -time, so an inactive workload that was never active goes to zero or
	// idle at once, as it would once deployed for that long.
	if cfg.CreatedAt.IsZero() || !cfg.CreatedAt.Before(c.opts.at) {
		cfg.CreatedAt = c.opts.at.Add(-cfg.InitialCooldownPeriod - time.Second)
	}
	return scaler.New(cfg)
}

// startReplicas returns -replicas, or else max(1, minReplicaCount).
func (c *checker) startReplicas(so *scaler.ScaledObject) int32 {
	if c.opts.replicasSet {
		return c.opts.replicas
	}
	if m := so.Spec.MinReplicaCount; m != nil && *m > 1 {
		return *m
	}
	return 1
}

func (c *checker) authDescription() string {
	switch {
	case c.opts.sigv4 && c.opts.region != "":
		return "signed with SigV4 for " + c.opts.region + " by the AWS default credential chain"
	case c.opts.sigv4 && !isWorkspace(c.opts.server):
		return "signed with SigV4 for each trigger's awsRegion by the AWS default credential chain"
	case c.opts.sigv4 || isWorkspace(c.opts.server):
		return "signed with SigV4 for the region of the AMP host by the AWS default credential chain"
	}
	return "without authentication"
}

// withServer returns a copy of so whose triggers query opts.server with
// the authentication the flags choose, and keep their other options.
// Without -region, a host that names no region is signed for the
// trigger's awsRegion.
func withServer(so *scaler.ScaledObject, opts options) *scaler.ScaledObject {
	probe := *so
	probe.Spec.Triggers = make([]scaler.ScaleTrigger, len(so.Spec.Triggers))
	for i, trigger := range so.Spec.Triggers {
		metadata := maps.Clone(trigger.Metadata)
		for _, key := range authKeys {
			delete(metadata, key)
		}
		metadata["serverAddress"] = opts.server
		if opts.sigv4 {
			metadata["identityOwner"] = "operator"
			if region := signingRegion(opts, trigger); region != "" {
				metadata["awsRegion"] = region
			}
		}
		trigger.Metadata = metadata
		trigger.AuthenticationRef = nil
		probe.Spec.Triggers[i] = trigger
	}
	return &probe
}

// isWorkspace reports whether requests to address are signed for the
// region in its host name, as those to an AMP workspace are.
func isWorkspace(address string) bool {
	u, err := url.Parse(address)
	if err != nil {
		return false
	}
	_, ok := sigv4.RegionFromHost(u.Host)
	return ok
}

// noResponse reports whether a query failed before any HTTP response
// arrived: the server is unreachable, timed out, or the request could not
// be signed.
func noResponse(err error) bool {
	var queryErr *amp.Error
	return errors.As(err, &queryErr) && queryErr.StatusCode == 0
}
