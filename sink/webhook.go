package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sender POSTs signals from a durable Outbox to one webhook, one attempt per
// due delivery per Deliver call, and records every outcome in the outbox, so
// that a process that dies at any point loses nothing: the next Sender over
// the same outbox picks up whatever is still pending.
//
// # Delivery guarantee
//
// At least once. A delivery is marked delivered only after a 2xx response. If
// the receiver processed a request but the response was lost (connection cut,
// timeout, 5xx after processing, or the sender dying before it recorded the
// 2xx), the same body is sent again later with the same Idempotency-Key.
// Receivers must deduplicate by that key.
//
// # The request
//
//	POST <URL>
//	Content-Type: application/json
//	User-Agent: portsweep
//	Idempotency-Key: <signal_id>
//	X-Portsweep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>   (only when a secret is set)
//
//	<body: NativeBody or OCSFBody of the signal, exactly as stored in the outbox>
//
// # How a receiver verifies a request
//
//  1. Read the raw body bytes, before any JSON parsing (re-encoding changes
//     the bytes and breaks the MAC).
//  2. Split the X-Portsweep-Signature value on "," into key=value pairs; take
//     t (decimal unix seconds) and every v1 (hex). Ignore unknown keys.
//  3. Compute HMAC-SHA256 with the shared secret over the string
//     "<t>.<raw body>" (t exactly as sent, a '.', then the body bytes) and
//     hex-encode it.
//  4. Compare it with each v1 in constant time (Go: hmac.Equal; Python:
//     hmac.compare_digest; Node: crypto.timingSafeEqual). No match: reject
//     (401).
//  5. Reject when |now − t| > 5 minutes: this stops replays of captured
//     requests. Keep the receiver's clock in sync (NTP).
//  6. Deduplicate by Idempotency-Key (the signal_id): if the key was already
//     processed, answer 2xx without processing it again.
//  7. Answer 2xx only once the signal is safely stored. 408, 429 and 5xx make
//     the sender retry (429/503 may carry Retry-After); any other status is
//     taken as a permanent refusal and the delivery is dead-lettered.
//
// VerifySignature implements steps 2–5 for Go receivers.
//
// # Retries
//
// Network errors, timeouts, 408, 429 and 5xx are retried after
//
//	b = min(MaxBackoff, BaseBackoff·2^(attempt−1));  delay = b/2 + Jitter()·b/2
//
// ("equal jitter": the delay stays in [b/2, b], so it keeps growing with the
// attempts and is never zero, while concurrent senders still spread out). On
// 429 and 503 a Retry-After header (delay-seconds or HTTP date, capped at 24 h)
// is honoured: the larger of it and the backoff is used. A retryable failure
// on attempt MaxAttempts makes the delivery dead. 3xx (redirects are never
// followed: a redirected POST could be replayed to another host with its
// signature) and other 4xx are dead at once, with the status line and an
// excerpt of the response body.
//
// The secret and the signature are never logged; URLs in logs and recorded
// errors lose their user info and query string.
type Sender struct {
	cfg    WebhookConfig
	ob     Outbox
	client *http.Client
	urlErr error
	target string // the URL without user info and query, for logs
	log    *slog.Logger
}

// Delivery is one pending webhook POST as the outbox stores it.
type Delivery struct {
	SignalID    string    // the Idempotency-Key
	Body        []byte    // the request body, sent as is
	Attempts    int       // attempts made so far (0 for a new delivery)
	NextAttempt time.Time // not to be sent before this
}

// Outbox is the durable store of webhook deliveries (the lead engineer backs
// it with a DuckDB table). A delivery is pending until Delivered or Dead is
// called for it. Each method must be durable when it returns: the Sender
// relies on that to survive a crash at any point.
type Outbox interface {
	// Due returns at most limit pending deliveries with NextAttempt <= now,
	// ordered by NextAttempt, then SignalID (oldest first).
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Delivered marks the delivery done: the receiver answered status (2xx) at at.
	Delivered(ctx context.Context, signalID string, status int, at time.Time) error
	// Retry keeps the delivery pending with its new attempt count and the
	// time of its next attempt; lastError says why this attempt failed.
	Retry(ctx context.Context, signalID string, attempts int, next time.Time, lastError string) error
	// Dead takes the delivery out of the pending set for good. status is the
	// last HTTP status (0 for a network error or timeout); detail is the
	// status line and a body excerpt, or the error (at most 512 bytes).
	Dead(ctx context.Context, signalID string, attempts int, status int, detail string) error
}

// WebhookConfig configures a Sender. Zero values take the defaults below.
type WebhookConfig struct {
	URL         string        // http or https
	Secret      []byte        // HMAC key; nil or empty: no signature header
	Timeout     time.Duration // per request, including reading the response (default 10s)
	BaseBackoff time.Duration // first retry delay (default 1s)
	MaxBackoff  time.Duration // cap of the retry delay (default 5m)
	MaxAttempts int           // attempts before a retryable failure becomes dead (default 12)

	Client *http.Client                                     // default: a new http.Client; redirects are never followed
	Now    func() time.Time                                 // default time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // default: a timer that returns ctx.Err() when ctx ends
	Jitter func() float64                                   // in [0,1] (clamped); default math/rand/v2 Float64
	Logger *slog.Logger                                     // default: discard
}

// Defaults of WebhookConfig.
const (
	DefaultWebhookTimeout     = 10 * time.Second
	DefaultWebhookBaseBackoff = time.Second
	DefaultWebhookMaxBackoff  = 5 * time.Minute
	DefaultWebhookMaxAttempts = 12
)

const (
	deliverBatch    = 100       // Due page size in Deliver (grows by what was tried)
	drainScanLimit  = 1_000_000 // Due limit when Drain counts what is pending
	maxRetryAfter   = 24 * time.Hour
	maxDetail       = 512      // bytes of Dead detail / Retry lastError
	maxDrainBody    = 64 << 10 // response bytes read to reuse the connection
	drainMinWait    = 10 * time.Millisecond
	webhookUA       = "portsweep"
	idempotencyHead = "Idempotency-Key"
)

// farFuture is the "now" Drain passes to Due to list every pending delivery.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// DeliverStats counts the outcomes of Deliver or Drain.
type DeliverStats struct {
	Sent      int    // delivered (2xx)
	Retrying  int    // attempts that failed and were rescheduled
	Dead      int    // deliveries given up (permanent status or MaxAttempts)
	Pending   int    // Drain only: deliveries still pending when it returned
	LastError string // the last failure, as recorded in the outbox
}

func (s *DeliverStats) add(o DeliverStats) {
	s.Sent += o.Sent
	s.Retrying += o.Retrying
	s.Dead += o.Dead
	if o.LastError != "" {
		s.LastError = o.LastError
	}
}

// Body formats for EncodeBody.
const (
	BodyNative = "native"
	BodyOCSF   = "ocsf"
)

// EncodeBody renders a signal in the named body format ("native" or "" for
// NativeBody, "ocsf" for OCSFBody); the result is what goes in Delivery.Body.
func EncodeBody(format string, s Signal) ([]byte, error) {
	switch strings.ToLower(format) {
	case "", BodyNative:
		return NativeBody(s)
	case BodyOCSF:
		return OCSFBody(s)
	}
	return nil, fmt.Errorf("webhook: unknown body format %q (want %q or %q)", format, BodyNative, BodyOCSF)
}

// NewSender returns a Sender for cfg over ob, filling in defaults. A bad URL
// is reported by Deliver and Drain.
func NewSender(cfg WebhookConfig, ob Outbox) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultWebhookTimeout
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultWebhookBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultWebhookMaxBackoff
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultWebhookMaxAttempts
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	s := &Sender{cfg: cfg, ob: ob, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = client

	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		// url.Parse's error quotes the URL, which may carry a token.
		s.urlErr = errors.New("webhook: the URL does not parse")
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		s.urlErr = errors.New("webhook: the URL must be http:// or https:// with a host")
	default:
		s.target = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	}
	return s
}

// Deliver sends every delivery due now once (one attempt each, in the order
// Due gives) and records each outcome in the outbox before the next request.
// It returns the counts and the first outbox error, or ctx's error when ctx
// ends: an attempt cut short by ctx is not recorded and stays due, as when
// the process dies.
func (s *Sender) Deliver(ctx context.Context) (DeliverStats, error) {
	var st DeliverStats
	if s.urlErr != nil {
		return st, s.urlErr
	}
	now := s.cfg.Now()
	tried := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		// A delivery retried in this call is normally no longer due (its
		// next attempt is in the future), but if the store still lists it,
		// the larger limit makes room: a full page holds at least
		// deliverBatch untried deliveries, so the loop always progresses.
		limit := len(tried) + deliverBatch
		due, err := s.ob.Due(ctx, now, limit)
		if err != nil {
			return st, fmt.Errorf("webhook outbox: listing due deliveries: %w", err)
		}
		for _, d := range due {
			if tried[d.SignalID] {
				continue // one attempt per delivery per Deliver
			}
			tried[d.SignalID] = true
			if err := s.attempt(ctx, d, &st); err != nil {
				return st, err
			}
		}
		if len(due) < limit {
			return st, nil
		}
	}
}

// Drain calls Deliver until nothing is pending, sleeping (cfg.Sleep) until the
// earliest NextAttempt in between. It never starts a sleep that would end
// after start+budget (start is cfg.Now() on entry); then it returns, with
// Pending set to what is still pending (dead ones excluded). The stats add up
// all rounds.
func (s *Sender) Drain(ctx context.Context, budget time.Duration) (DeliverStats, error) {
	var total DeliverStats
	deadline := s.cfg.Now().Add(budget)
	for {
		st, err := s.Deliver(ctx)
		total.add(st)
		if err != nil {
			return total, err
		}
		pending, err := s.ob.Due(ctx, farFuture, drainScanLimit)
		if err != nil {
			return total, fmt.Errorf("webhook outbox: listing pending deliveries: %w", err)
		}
		total.Pending = len(pending)
		if len(pending) == 0 {
			return total, nil
		}
		next := pending[0].NextAttempt
		for _, d := range pending[1:] {
			if d.NextAttempt.Before(next) {
				next = d.NextAttempt
			}
		}
		now := s.cfg.Now()
		if !now.Before(deadline) {
			return total, nil // budget spent
		}
		wait := next.Sub(now)
		if wait <= 0 {
			if st.Sent+st.Retrying+st.Dead > 0 {
				continue // due again already (a slow round, or new deliveries)
			}
			// Due said nothing was due but a pending one is: tolerate a
			// store that rounds times, without spinning.
			wait = drainMinWait
		}
		if now.Add(wait).After(deadline) {
			return total, nil
		}
		if err := s.cfg.Sleep(ctx, wait); err != nil {
			return total, err
		}
	}
}

// attempt makes one POST for d and records its outcome.
func (s *Sender) attempt(ctx context.Context, d Delivery, st *DeliverStats) error {
	n := d.Attempts + 1
	res, err := s.post(ctx, d)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // cut short by our own shutdown: leave it due
	}
	// The exchange is over; record it even if ctx ends meanwhile, so that a
	// delivered signal is not sent again.
	rctx := context.WithoutCancel(ctx)
	at := s.cfg.Now()
	log := s.log.With("signal_id", d.SignalID, "attempt", n)

	switch {
	case err == nil && res.status >= 200 && res.status < 300:
		if err := s.ob.Delivered(rctx, d.SignalID, res.status, at); err != nil {
			return fmt.Errorf("webhook outbox: recording %s delivered: %w", d.SignalID, err)
		}
		st.Sent++
		log.Info("webhook delivered", "status", res.status)
		return nil

	case err != nil || retryableStatus(res.status):
		var why string
		if err != nil {
			why = describeError(err, s.cfg.Timeout)
		} else {
			why = res.detail()
		}
		st.LastError = why
		if n >= s.cfg.MaxAttempts {
			if err := s.ob.Dead(rctx, d.SignalID, n, res.status, why); err != nil {
				return fmt.Errorf("webhook outbox: recording %s dead: %w", d.SignalID, err)
			}
			st.Dead++
			log.Error("webhook delivery given up after max attempts", "url", s.target, "status", res.status, "error", why)
			return nil
		}
		delay := s.backoff(n)
		if res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable {
			if ra, ok := parseRetryAfter(res.retryAfter, at); ok && ra > delay {
				delay = ra
			}
		}
		next := at.Add(delay)
		if err := s.ob.Retry(rctx, d.SignalID, n, next, why); err != nil {
			return fmt.Errorf("webhook outbox: recording %s retry: %w", d.SignalID, err)
		}
		st.Retrying++
		log.Warn("webhook delivery failed, will retry", "status", res.status, "error", why, "retry_in", delay, "next_attempt", next)
		return nil

	default: // 1xx leftovers, 3xx, and 4xx other than 408/429
		why := res.detail()
		st.LastError = why
		if err := s.ob.Dead(rctx, d.SignalID, n, res.status, why); err != nil {
			return fmt.Errorf("webhook outbox: recording %s dead: %w", d.SignalID, err)
		}
		st.Dead++
		log.Error("webhook delivery refused", "url", s.target, "status", res.status, "detail", why)
		return nil
	}
}

type postResult struct {
	status     int
	statusLine string // "400 Bad Request"
	retryAfter string
	excerpt    []byte // start of the response body
}

// detail is "HTTP <status line>: <body excerpt>", valid UTF-8, ≤ maxDetail bytes.
func (r postResult) detail() string {
	line := "HTTP " + r.statusLine
	body := strings.TrimSpace(strings.ToValidUTF8(string(r.excerpt), "\uFFFD"))
	if body != "" {
		line += ": " + body
	}
	return truncateUTF8(line, maxDetail)
}

func (s *Sender) post(ctx context.Context, d Delivery) (postResult, error) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.cfg.URL, bytes.NewReader(d.Body))
	if err != nil {
		return postResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUA)
	req.Header.Set(idempotencyHead, d.SignalID)
	if len(s.cfg.Secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(s.cfg.Secret, s.cfg.Now(), d.Body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return postResult{}, err
	}
	defer resp.Body.Close()
	res := postResult{
		status:     resp.StatusCode,
		statusLine: resp.Status,
		retryAfter: resp.Header.Get("Retry-After"),
	}
	if res.statusLine == "" {
		res.statusLine = strconv.Itoa(resp.StatusCode)
	}
	// The status decides the outcome; a body cut short (timeout) only
	// shortens the excerpt.
	res.excerpt, _ = io.ReadAll(io.LimitReader(resp.Body, maxDetail))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBody))
	return res, nil
}

// retryableStatus: 408 Request Timeout, 429 Too Many Requests, any 5xx.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code <= 599)
}

// backoff is the delay after failed attempt n (1-based), with equal jitter:
// b = min(MaxBackoff, BaseBackoff·2^(n−1)), delay in [b/2, b].
func (s *Sender) backoff(n int) time.Duration {
	b, limit := s.cfg.BaseBackoff, s.cfg.MaxBackoff
	for i := 1; i < n && b < limit; i++ {
		if b > limit/2 {
			b = limit
			break
		}
		b *= 2
	}
	b = min(b, limit)
	j := s.cfg.Jitter()
	if !(j >= 0) { // also NaN
		j = 0
	}
	j = min(j, 1)
	half := b / 2
	return half + time.Duration(j*float64(b-half))
}

// parseRetryAfter reads delay-seconds or an HTTP date (relative to now),
// clamped to [0, maxRetryAfter].
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

// describeError renders a request error without the URL (it may carry a
// token in its query string).
func describeError(err error, timeout time.Duration) string {
	var msg string
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("timeout after %s", timeout)
	case errors.As(err, &ue):
		if ue.Timeout() {
			msg = fmt.Sprintf("timeout after %s: %v", timeout, ue.Err)
		} else {
			msg = ue.Op + ": " + ue.Err.Error()
		}
	default:
		msg = err.Error()
	}
	return truncateUTF8(strings.ToValidUTF8(msg, "\uFFFD"), maxDetail)
}

// truncateUTF8 cuts valid UTF-8 s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
