package schedule

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portsweep/portsweep/detect"
)

// Metrics are the Prometheus series `schedule --listen` serves.
type Metrics struct {
	Registry    *prometheus.Registry
	runs        *prometheus.CounterVec
	records     prometheus.Counter
	signals     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	duration    prometheus.Histogram
}

// NewMetrics registers portsweep's series on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portsweep_runs_total", Help: "Detection runs by outcome (ok, partial, failed, panic)."}, []string{"outcome"}),
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portsweep_records_read_total", Help: "Records read from inputs."}),
		signals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portsweep_signals_total", Help: "Signals emitted, by suppression."}, []string{"suppressed"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portsweep_last_success_timestamp_seconds", Help: "Unix time of the last run that committed."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "portsweep_run_duration_seconds", Help: "Duration of detection runs.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}),
	}
	m.Registry.MustRegister(m.runs, m.records, m.signals, m.lastSuccess, m.duration)
	return m
}

func (m *Metrics) observe(out *detect.Outcome, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.duration.Observe(d.Seconds())
	switch {
	case err != nil:
		m.runs.WithLabelValues("failed").Inc()
		return
	case len(out.InputErrors) > 0:
		m.runs.WithLabelValues("partial").Inc()
	default:
		m.runs.WithLabelValues("ok").Inc()
	}
	m.lastSuccess.SetToCurrentTime()
	m.records.Add(float64(out.Summary.RecordsRead))
	for _, s := range out.Signals {
		if s.Suppressed {
			m.signals.WithLabelValues("true").Inc()
		} else {
			m.signals.WithLabelValues("false").Inc()
		}
	}
}

func (m *Metrics) panicked() {
	if m != nil {
		m.runs.WithLabelValues("panic").Inc()
	}
}
