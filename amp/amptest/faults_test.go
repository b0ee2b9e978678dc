package amptest_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
)

func TestServerBodyFaults(t *testing.T) {
	tests := []struct {
		name        string
		inject      func(*amptest.Server)
		timeout     time.Duration
		wantKind    amp.ErrorKind
		wantCode    int
		wantMessage string
	}{
		{name: "fails: body cut halfway", inject: func(s *amptest.Server) { s.CutBody(1) },
			wantKind: amp.KindUnavailable, wantCode: 200, wantMessage: "the response ended early"},
		{name: "fails: body slower than timeout", inject: func(s *amptest.Server) { s.SlowBody(1, 20*time.Millisecond) },
			timeout: 100 * time.Millisecond, wantKind: amp.KindTimeout, wantCode: 200, wantMessage: "while reading the response body"},
		{name: "fails: HTML page from gateway", inject: func(s *amptest.Server) { s.GatewayError(1, http.StatusBadGateway) },
			wantKind: amp.KindUnavailable, wantCode: 502, wantMessage: "502 Bad Gateway"},
		{name: "fails: body over size limit", inject: func(s *amptest.Server) { s.Oversized(1, 64<<10) },
			wantKind: amp.KindResponse, wantCode: 200, wantMessage: "exceeds 16384 bytes"},
		{name: "fails: expired token twice", inject: func(s *amptest.Server) { s.ExpireToken(2) },
			wantKind: amp.KindAuth, wantCode: 403, wantMessage: "security token included in the request is expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{})
			srv.SetResult("sum(up)", 1)
			tt.inject(srv)
			c, err := amp.NewClient(amp.Config{
				ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
				Timeout: tt.timeout, MaxResponseSize: 16 << 10, Retry: amp.RetryConfig{MaxAttempts: 1},
			})
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "sum(up)", t0)
			_, errAfter := c.Query(context.Background(), "sum(up)", t0)

			var qerr *amp.Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantKind, qerr.Kind, "Kind")
			assert.Equal(t, tt.wantCode, qerr.StatusCode, "StatusCode")
			assert.Contains(t, qerr.Error(), tt.wantMessage)
			assert.NoError(t, errAfter, "the fault is used up")
		})
	}
}

// countingCredentials counts how often the signer fetches the keys.
type countingCredentials struct {
	calls atomic.Int32
}

func (c *countingCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	c.calls.Add(1)
	return aws.Credentials{AccessKeyID: amptest.AccessKeyID, SecretAccessKey: amptest.SecretAccessKey, Source: "test"}, nil
}

func TestServerExpireTokenOnceIsRefreshed(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 1)
	srv.ExpireToken(1)
	creds := &countingCredentials{}
	c, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: creds,
		Retry: amp.RetryConfig{MaxAttempts: 1},
	})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err, "the signer fetched fresh keys and sent the request again")
	assert.Equal(t, 2, srv.Received(), "requests")
	assert.Equal(t, int32(2), creds.calls.Load(), "credential fetches")
	requests := srv.Requests()
	assert.True(t, requests[0].Verified && requests[1].Verified)
}

func TestServerGatewayErrorIsHTML(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.GatewayError(1, http.StatusServiceUnavailable)

	status, body, header := signedPost(t, srv, srv.Region(), amptest.SecretAccessKey, time.Now())

	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "text/html", header.Get("Content-Type"))
	assert.Contains(t, body, "<title>503 Service Unavailable</title>")
}

func TestServerOversizedLength(t *testing.T) {
	tests := []struct {
		name string
		size int
		want int
	}{
		{name: "pads: to the requested size", size: 4096, want: 4096},
		{name: "keeps: smallest valid body", size: 10, want: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{})
			srv.Oversized(1, tt.size)

			status, body, _ := signedPost(t, srv, srv.Region(), amptest.SecretAccessKey, time.Now())

			assert.Equal(t, http.StatusOK, status)
			assert.Len(t, body, tt.want)
		})
	}
}
