package realprom

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartReportsEarlyExit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test binaries are shell scripts, which Windows cannot run")
	}
	tests := []struct {
		name        string
		script      string
		wantMessage []string
	}{
		{
			name:        "fails: server exits at once",
			script:      "#!/bin/sh\necho 'msg=\"Error loading config\" err=\"parsing YAML\"' >&2\nexit 1\n",
			wantMessage: []string{"prometheus exited before it was ready: exit status 1", "Error loading config", "last 40 lines of the prometheus log"},
		},
		{
			name:        "fails: port taken every attempt",
			script:      "#!/bin/sh\necho 'err=\"listen tcp: bind: address already in use\"' >&2\nexit 1\n",
			wantMessage: []string{"prometheus exited before it was ready", "address already in use", "prometheus-3.log"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			binary := writeScriptText(t, t.TempDir(), "prometheus", tt.script)

			tb := record(t, func(tb testing.TB) { Start(tb, Config{Binary: binary}) })

			assert.True(t, tb.failed, "Start fails the test")
			for _, want := range tt.wantMessage {
				assert.Contains(t, tb.message, want)
			}
		})
	}
}

func TestStartRejectsInvalidConfig(t *testing.T) {
	tb := record(t, func(tb testing.TB) { Start(tb, Config{ScrapeTargets: []string{"http://127.0.0.1:9100/metrics"}}) })

	assert.True(t, tb.failed)
	assert.Contains(t, tb.message, `realprom: ScrapeTargets[0] "http://127.0.0.1:9100/metrics" is not a host:port address`)
}

func TestStopKillsIgnoredSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test binaries are shell scripts, which Windows cannot run")
	}
	// The script ignores SIGTERM, as a server stuck in shutdown does, and
	// runs a child that must end with it.
	binary := writeScriptText(t, t.TempDir(), "prometheus", "#!/bin/sh\ntrap '' TERM\necho trapped >&2\nwhile :; do sleep 0.05; done\n")
	s, err := launch(Config{Binary: binary}, t.TempDir(), "unused.yml", 1)
	require.NoError(t, err)
	WaitUntil(t, 5*time.Second, func() error {
		if s.LogTail(1) != "trapped" {
			return errors.New("the script has not set its trap yet")
		}
		return nil
	})

	err = s.stop(200 * time.Millisecond)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not exit within 200ms of SIGTERM and was killed")
	select {
	case <-s.exited:
	default:
		t.Fatal("the process has not exited after stop returned")
	}
}

func TestStopAfterExitIsNoop(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test binaries are shell scripts, which Windows cannot run")
	}
	binary := writeScriptText(t, t.TempDir(), "prometheus", "#!/bin/sh\nexit 0\n")
	s, err := launch(Config{Binary: binary}, t.TempDir(), "unused.yml", 1)
	require.NoError(t, err)
	<-s.exited

	assert.NoError(t, s.stop(time.Second))
}

func TestLogTailKeepsLastLines(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test binaries are shell scripts, which Windows cannot run")
	}
	binary := writeScriptText(t, t.TempDir(), "prometheus", "#!/bin/sh\nfor i in 1 2 3 4 5; do echo line $i >&2; done\n")
	s, err := launch(Config{Binary: binary}, t.TempDir(), "unused.yml", 1)
	require.NoError(t, err)
	<-s.exited

	assert.Equal(t, "line 4\nline 5", s.LogTail(2))
	assert.Equal(t, 5, len(strings.Split(s.LogTail(100), "\n")))
}
