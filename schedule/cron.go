package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
)

// Job is the cron job of a runner: runs never overlap (a tick that comes
// while a run is going is skipped), and a panic is logged and recovered
// inside the skip wrapper, so its lock is released (cron v3.0.1 neither
// recovers by default nor unlocks after a panic under SkipIfStillRunning).
func Job(r *Runner) cron.Job {
	logger := cronLogger{r.Log}
	return cron.NewChain(cron.SkipIfStillRunning(logger), recoverInside(r)).Then(cron.FuncJob(func() {
		ctx := context.Background()
		if _, err := r.RunOnce(ctx); err != nil {
			r.Log.Error("scheduled run failed", "err", err)
		}
	}))
}

func recoverInside(r *Runner) cron.JobWrapper {
	return func(j cron.Job) cron.Job {
		return cron.FuncJob(func() {
			defer func() {
				if p := recover(); p != nil {
					r.Metrics.panicked()
					r.Log.Error("scheduled run panicked; the schedule goes on", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				}
			}()
			j.Run()
		})
	}
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// ParseSpec reads a standard 5-field cron spec (or a descriptor such as
// "@every 5m"), evaluated in UTC.
func ParseSpec(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return s, nil
}

// ServeOptions configure Serve.
type ServeOptions struct {
	Spec   string
	Listen string // "" serves no HTTP
	Grace  time.Duration
	// RunAtStart runs once immediately, before the first tick.
	RunAtStart bool
}

// Serve runs the runner on the cron schedule until ctx ends, then lets the
// current run finish within the grace period.
func Serve(ctx context.Context, r *Runner, opts ServeOptions) error {
	schedule, err := ParseSpec(opts.Spec)
	if err != nil {
		return err
	}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{r.Log}))
	job := Job(r)
	c.Schedule(schedule, job)
	var srv *http.Server
	if opts.Listen != "" {
		ln, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", opts.Listen, err)
		}
		srv = &http.Server{Handler: Handler(r), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		r.Log.Info("serving /metrics and /healthz", "addr", ln.Addr().String())
	}
	if opts.RunAtStart {
		go job.Run()
	}
	c.Start()
	r.Log.Info("schedule started", "spec", opts.Spec, "next", schedule.Next(time.Now().UTC()))
	<-ctx.Done()
	r.Log.Info("stopping: letting the current run finish", "grace", opts.Grace)
	stopped := c.Stop()
	var stopErr error
	select {
	case <-stopped.Done():
	case <-time.After(opts.Grace):
		stopErr = errors.New("the current run did not finish within the grace period")
	}
	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		srv.Shutdown(shutdownCtx)
		cancel()
	}
	return stopErr
}

// Handler serves /metrics and /healthz.
func Handler(r *Runner) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(r.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	return mux
}
