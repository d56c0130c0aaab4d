package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
)

// Runner runs stateful steps over an inbox.
type Runner struct {
	Store   *detect.Store
	Config  detect.Config
	Options detect.RunOptions
	Inbox   string
	Log     *slog.Logger
	Metrics *Metrics
	// After is called with each committed outcome (print, deliver).
	After func(ctx context.Context, out *detect.Outcome) error
}

// RunOnce processes whatever the inbox holds that the manifest does not.
func (r *Runner) RunOnce(ctx context.Context) (*detect.Outcome, error) {
	start := time.Now()
	inputs, errs := loader.ExpandPaths([]string{r.Inbox})
	if len(errs) > 0 {
		return nil, fmt.Errorf("inbox %s: %w", r.Inbox, errors.Join(errs...))
	}
	out, err := r.Store.Run(ctx, inputs, r.Config, r.Options)
	r.Metrics.observe(out, err, time.Since(start))
	if err != nil {
		return nil, err
	}
	if r.After != nil {
		if err := r.After(ctx, out); err != nil {
			return out, err
		}
	}
	return out, nil
}
