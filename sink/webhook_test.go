package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// ---- fake clock ----------------------------------------------------------

// fakeClock is the only clock the Sender sees in these tests: Sleep advances
// it instantly.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// ---- in-memory outbox ----------------------------------------------------

type memRow struct {
	d              Delivery
	seq            int
	state          string // pending, delivered, dead
	status         int
	lastError      string
	detail         string
	deliveredCalls int
	deliveredAt    time.Time
}

// memOutbox is what the DuckDB table will be, in memory. It refuses to mark
// a delivery twice (that would be a sender bug).
type memOutbox struct {
	mu   sync.Mutex
	rows map[string]*memRow
	seq  int
}

func newMemOutbox() *memOutbox { return &memOutbox{rows: map[string]*memRow{}} }

func (o *memOutbox) add(id string, body []byte, attempts int, next time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	o.rows[id] = &memRow{d: Delivery{SignalID: id, Body: slices.Clone(body), Attempts: attempts, NextAttempt: next}, seq: o.seq, state: "pending"}
}

func (o *memOutbox) Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var rows []*memRow
	for _, r := range o.rows {
		if r.state == "pending" && !r.d.NextAttempt.After(now) {
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].d.NextAttempt.Equal(rows[j].d.NextAttempt) {
			return rows[i].d.NextAttempt.Before(rows[j].d.NextAttempt)
		}
		return rows[i].d.SignalID < rows[j].d.SignalID
	})
	if len(rows) > limit {
		rows = rows[:limit]
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.d
		out[i].Body = slices.Clone(r.d.Body)
	}
	return out, nil
}

func (o *memOutbox) pendingRow(id string) (*memRow, error) {
	r, ok := o.rows[id]
	if !ok {
		return nil, fmt.Errorf("no delivery %s", id)
	}
	if r.state != "pending" {
		return nil, fmt.Errorf("delivery %s is %s, not pending", id, r.state)
	}
	return r, nil
}

func (o *memOutbox) Delivered(ctx context.Context, id string, status int, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.pendingRow(id)
	if err != nil {
		return err
	}
	r.state, r.status, r.deliveredAt = "delivered", status, at
	r.deliveredCalls++
	return nil
}

func (o *memOutbox) Retry(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.pendingRow(id)
	if err != nil {
		return err
	}
	if attempts != r.d.Attempts+1 {
		return fmt.Errorf("delivery %s: attempts %d after %d", id, attempts, r.d.Attempts)
	}
	r.d.Attempts, r.d.NextAttempt, r.lastError = attempts, next, lastError
	return nil
}

func (o *memOutbox) Dead(ctx context.Context, id string, attempts int, status int, detail string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.pendingRow(id)
	if err != nil {
		return err
	}
	r.state, r.d.Attempts, r.status, r.detail = "dead", attempts, status, detail
	return nil
}

func (o *memOutbox) row(id string) memRow {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.rows[id]
}

func (o *memOutbox) states() map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[string]string{}
	for id, r := range o.rows {
		m[id] = r.state
	}
	return m
}

// ---- receiver ------------------------------------------------------------

type reply struct {
	status       int
	retryAfter   string
	body         string
	processFirst bool // process the signal, then answer status (a lost 2xx)
}

// receiver is a webhook endpoint that does what the doc comment asks of one:
// it verifies the signature (with VerifySignature and by hand) and
// deduplicates by Idempotency-Key. Replies are scripted per key; when a key's
// script is used up it answers 200.
type receiver struct {
	t      *testing.T
	secret []byte
	clock  *fakeClock

	mu        sync.Mutex
	script    map[string][]reply
	requests  map[string]int         // HTTP requests per key
	at        map[string][]time.Time // fake time of each request per key
	processed map[string]int         // processed after dedup: must end at 1
	dupes     map[string]int         // requests deduplicated
	bodies    map[string][]byte
	problems  []string
	onRequest func(n int, key string, body []byte, r *http.Request) bool // n: 1-based request number; true = handled (no reply)
	total     int
}

func newReceiver(t *testing.T, secret []byte, clock *fakeClock) *receiver {
	return &receiver{
		t: t, secret: secret, clock: clock,
		script: map[string][]reply{}, requests: map[string]int{}, at: map[string][]time.Time{},
		processed: map[string]int{}, dupes: map[string]int{}, bodies: map[string][]byte{},
	}
}

func (rc *receiver) problem(format string, args ...any) {
	rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
}

// process stores the signal once per Idempotency-Key.
func (rc *receiver) process(key string, body []byte) {
	if rc.processed[key] > 0 {
		rc.dupes[key]++
		return
	}
	rc.processed[key]++
	rc.bodies[key] = body
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	now := rc.clock.Now()

	rc.mu.Lock()
	rc.total++
	n := rc.total
	rc.requests[key]++
	rc.at[key] = append(rc.at[key], now)
	if r.Method != http.MethodPost {
		rc.problem("%s: method %s", key, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		rc.problem("%s: Content-Type %q", key, ct)
	}
	if ua := r.Header.Get("User-Agent"); ua != "portsweep" {
		rc.problem("%s: User-Agent %q", key, ua)
	}
	sig := r.Header.Get(SignatureHeader)
	if rc.secret == nil {
		if sig != "" {
			rc.problem("%s: signature header without a secret", key)
		}
	} else {
		if err := VerifySignature(rc.secret, sig, body, now, 5*time.Minute); err != nil {
			rc.problem("%s: VerifySignature: %v", key, err)
		}
		var ts int64
		if _, err := fmt.Sscanf(sig, "t=%d,", &ts); err != nil || sig != independentSignature(rc.secret, ts, body) {
			rc.problem("%s: independent HMAC does not match %q", key, sig)
		} else if ts != now.Unix() {
			rc.problem("%s: signed at %d, sent at %d", key, ts, now.Unix())
		}
	}
	if h := rc.onRequest; h != nil {
		rc.mu.Unlock()
		if h(n, key, body, r) {
			return
		}
		rc.mu.Lock()
	}
	rp := reply{status: http.StatusOK}
	if s := rc.script[key]; len(s) > 0 {
		rp, rc.script[key] = s[0], s[1:]
	}
	if rp.status/100 == 2 || rp.processFirst {
		rc.process(key, body)
	}
	rc.mu.Unlock()

	if rp.retryAfter != "" {
		w.Header().Set("Retry-After", rp.retryAfter)
	}
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (rc *receiver) snapshot() (requests, processed, dupes map[string]int, problems []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return clone(rc.requests), clone(rc.processed), clone(rc.dupes), slices.Clone(rc.problems)
}

func clone(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ---- helpers -------------------------------------------------------------

func testSignals(t *testing.T, n int) (ids []string, bodies map[string][]byte) {
	t.Helper()
	bodies = map[string][]byte{}
	for i := 1; i <= n; i++ {
		s := sampleSignal()
		s.SignalID = fmt.Sprintf("sig-%02d", i)
		s.SrcDeviceIP = fmt.Sprintf("10.0.0.%d", i)
		s.Summary = "Internal port sweep from IP: " + s.SrcDeviceIP
		b, err := NativeBody(s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.SignalID)
		bodies[s.SignalID] = b
	}
	return ids, bodies
}

// lockedBuffer collects log output from the sender.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testConfig(url string, clock *fakeClock, logs io.Writer) WebhookConfig {
	cfg := WebhookConfig{
		URL:         url,
		Timeout:     5 * time.Second,
		BaseBackoff: time.Second,
		MaxBackoff:  5 * time.Minute,
		MaxAttempts: 12,
		Now:         clock.Now,
		Sleep:       clock.Sleep,
		Jitter:      func() float64 { return 1 }, // delay = b exactly
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

func checkReceiver(t *testing.T, rc *receiver, ob *memOutbox, ids []string, bodies map[string][]byte) {
	t.Helper()
	_, processed, _, problems := rc.snapshot()
	for _, p := range problems {
		t.Errorf("receiver: %s", p)
	}
	for _, id := range ids {
		if processed[id] != 1 {
			t.Errorf("%s processed %d times after dedup, want 1", id, processed[id])
		}
		r := ob.row(id)
		if r.state != "delivered" || r.status != 200 || r.deliveredCalls != 1 {
			t.Errorf("%s: outbox state %s status %d delivered calls %d", id, r.state, r.status, r.deliveredCalls)
		}
		rc.mu.Lock()
		got := rc.bodies[id]
		rc.mu.Unlock()
		if !bytes.Equal(got, bodies[id]) {
			t.Errorf("%s: body differs from the stored one", id)
		}
	}
}

// ---- tests ---------------------------------------------------------------

// The receiver is down (connection refused), then answers 503 three times
// (with and without Retry-After), loses one 200 (processes, answers 500), and
// then accepts everything. Each signal is processed exactly once after
// dedup, every request is signed, and the outbox ends with all delivered.
func TestSenderOutageThenRecovery(t *testing.T) {
	clock := newFakeClock()
	secret := []byte("shared-secret-never-logged")
	ids, bodies := testSignals(t, 3)
	ob := newMemOutbox()
	for _, id := range ids {
		ob.add(id, bodies[id], 0, clock.Now())
	}

	// An address with nobody listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs lockedBuffer
	cfg := testConfig("http://"+addr+"/hook?token=query-token", clock, &logs)
	cfg.Secret = secret
	s := NewSender(cfg, ob)

	st, err := s.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Retrying != 3 || st.Sent != 0 || st.Dead != 0 {
		t.Fatalf("down: stats %+v", st)
	}
	for _, id := range ids {
		r := ob.row(id)
		if r.d.Attempts != 1 || !r.d.NextAttempt.Equal(clock.Now().Add(time.Second)) ||
			!strings.Contains(r.lastError, "connection refused") || strings.Contains(r.lastError, "query-token") {
			t.Fatalf("%s after refused connection: attempts %d next %v error %q", id, r.d.Attempts, r.d.NextAttempt, r.lastError)
		}
	}

	// The receiver comes back on the same address.
	rc := newReceiver(t, secret, clock)
	httpDate := clock.Now().Add(90 * time.Second).Format(http.TimeFormat)
	rc.script = map[string][]reply{
		"sig-01": {{status: 503}, {status: 503, retryAfter: "30"}, {status: 503}},
		"sig-02": {{status: 503, retryAfter: httpDate}, {status: 500, processFirst: true, body: "oops"}},
		"sig-03": {{status: 503, body: "maintenance"}, {status: 503}, {status: 503, retryAfter: "2"}},
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("re-listening on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	srv.Listener = l2
	srv.Start()
	defer srv.Close()

	st, err = s.Drain(context.Background(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 3 || st.Dead != 0 || st.Pending != 0 {
		t.Fatalf("drain stats %+v", st)
	}
	checkReceiver(t, rc, ob, ids, bodies)

	requests, _, dupes, _ := rc.snapshot()
	if want := map[string]int{"sig-01": 4, "sig-02": 3, "sig-03": 4}; !reflect.DeepEqual(requests, want) {
		t.Errorf("requests per key %v, want %v", requests, want)
	}
	if want := map[string]int{"sig-02": 1}; !reflect.DeepEqual(dupes, want) {
		t.Errorf("deduplicated %v, want %v (the lost 200)", dupes, want)
	}
	// Retry-After honoured: sig-01's request after "30" comes ≥30 s later;
	// sig-02 waits until the HTTP date.
	rc.mu.Lock()
	at1, at2 := rc.at["sig-01"], rc.at["sig-02"]
	rc.mu.Unlock()
	if gap := at1[2].Sub(at1[1]); gap < 30*time.Second {
		t.Errorf("sig-01 retried %s after Retry-After: 30", gap)
	}
	if at2[1].Sub(at2[0]) < 89*time.Second {
		t.Errorf("sig-02 retried %s after a Retry-After date 90 s ahead", at2[1].Sub(at2[0]))
	}
	// Nothing secret in the logs.
	out := logs.String()
	for _, leak := range []string{string(secret), "query-token", "v1="} {
		if strings.Contains(out, leak) {
			t.Errorf("logs contain %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "webhook delivered") {
		t.Errorf("no delivery logged:\n%s", out)
	}
}

// One Deliver against one scripted reply: which outbox call it makes.
func TestSenderOutcomes(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4000 bytes, 2-byte runes
	clock := newFakeClock()           // Deliver does not move it: one clock for all cases
	cases := []struct {
		name       string
		handler    func(w http.ResponseWriter, r *http.Request)
		attempts   int // attempts already made
		wantState  string
		wantStatus int
		wantTries  int
		wantDelay  time.Duration // pending: NextAttempt − now
		contains   []string      // in detail (dead) or lastError (pending)
	}{
		{name: "200 delivered", handler: status(200, "", "ok"), wantState: "delivered", wantStatus: 200},
		{name: "202 delivered", handler: status(202, "", ""), wantState: "delivered", wantStatus: 202},
		{name: "204 delivered", handler: status(204, "", ""), wantState: "delivered", wantStatus: 204},
		{name: "400 dead with body excerpt", handler: status(400, "", `{"error":"unknown field severity"}`),
			wantState: "dead", wantStatus: 400, wantTries: 1, contains: []string{"HTTP 400 Bad Request", "unknown field severity"}},
		{name: "401 dead", handler: status(401, "", "bad signature"), wantState: "dead", wantStatus: 401, wantTries: 1,
			contains: []string{"401 Unauthorized", "bad signature"}},
		{name: "404 dead at attempt 3", handler: status(404, "", ""), attempts: 2, wantState: "dead", wantStatus: 404, wantTries: 3,
			contains: []string{"404 Not Found"}},
		{name: "422 long body cut to 512 bytes", handler: status(422, "", long), wantState: "dead", wantStatus: 422, wantTries: 1,
			contains: []string{"422 Unprocessable Entity", "éé"}},
		{name: "301 dead, not followed", handler: redirect("/elsewhere"), wantState: "dead", wantStatus: 301, wantTries: 1,
			contains: []string{"301 Moved Permanently"}},
		{name: "408 retried", handler: status(408, "", ""), wantState: "pending", wantTries: 1, wantDelay: time.Second,
			contains: []string{"408"}},
		{name: "429 retried", handler: status(429, "", ""), wantState: "pending", wantTries: 1, wantDelay: time.Second},
		{name: "429 Retry-After 120", handler: status(429, "120", ""), wantState: "pending", wantTries: 1, wantDelay: 120 * time.Second},
		{name: "429 Retry-After garbage ignored", handler: status(429, "soon", ""), wantState: "pending", wantTries: 1, wantDelay: time.Second},
		{name: "429 Retry-After huge capped at 24h", handler: status(429, "99999999", ""), wantState: "pending", wantTries: 1, wantDelay: 24 * time.Hour},
		{name: "500 retried, Retry-After ignored", handler: status(500, "600", "boom"), wantState: "pending", wantTries: 1,
			wantDelay: time.Second, contains: []string{"HTTP 500 Internal Server Error: boom"}},
		{name: "502 retried at attempt 4", handler: status(502, "", ""), attempts: 3, wantState: "pending", wantTries: 4, wantDelay: 8 * time.Second},
		{name: "503 Retry-After smaller than backoff", handler: status(503, "2", ""), attempts: 4, wantState: "pending", wantTries: 5, wantDelay: 16 * time.Second},
		{name: "503 Retry-After HTTP date", handler: statusAt(clock, 503, 90*time.Second), wantState: "pending", wantTries: 1, wantDelay: 90 * time.Second},
		{name: "504 backoff capped", handler: status(504, "", ""), attempts: 10, wantState: "pending", wantTries: 11, wantDelay: 5 * time.Minute},
		{name: "503 on the last attempt → dead", handler: status(503, "", "still down"), attempts: 11, wantState: "dead", wantStatus: 503, wantTries: 12,
			contains: []string{"503 Service Unavailable", "still down"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var elsewhere atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", tc.handler)
			mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) })
			srv := httptest.NewServer(mux)
			defer srv.Close()

			ob := newMemOutbox()
			ob.add("sig-x", []byte(`{"signal_id":"sig-x"}`), tc.attempts, clock.Now())
			var logs lockedBuffer
			cfg := testConfig(srv.URL+"/hook", clock, &logs)
			cfg.Secret = []byte("k")
			st, err := NewSender(cfg, ob).Deliver(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			r := ob.row("sig-x")
			if r.state != tc.wantState {
				t.Fatalf("state %s, want %s (row %+v)", r.state, tc.wantState, r)
			}
			switch tc.wantState {
			case "delivered":
				if r.status != tc.wantStatus || st.Sent != 1 || !r.deliveredAt.Equal(clock.Now()) {
					t.Errorf("status %d stats %+v", r.status, st)
				}
			case "dead":
				if r.status != tc.wantStatus || r.d.Attempts != tc.wantTries || st.Dead != 1 || st.LastError != r.detail {
					t.Errorf("status %d attempts %d stats %+v", r.status, r.d.Attempts, st)
				}
				if len(r.detail) > 512 || !utf8.ValidString(r.detail) {
					t.Errorf("detail is %d bytes, valid UTF-8 %v", len(r.detail), utf8.ValidString(r.detail))
				}
			case "pending":
				if r.d.Attempts != tc.wantTries || st.Retrying != 1 || st.LastError != r.lastError {
					t.Errorf("attempts %d stats %+v", r.d.Attempts, st)
				}
				if got := r.d.NextAttempt.Sub(clock.Now()); got != tc.wantDelay {
					t.Errorf("next attempt in %s, want %s", got, tc.wantDelay)
				}
			}
			text := r.detail + r.lastError
			for _, c := range tc.contains {
				if !strings.Contains(text, c) {
					t.Errorf("%q does not contain %q", text, c)
				}
			}
			if elsewhere.Load() != 0 {
				t.Errorf("redirect followed")
			}
			if strings.Contains(logs.String(), "v1=") {
				t.Errorf("signature logged")
			}
		})
	}
}

func status(code int, retryAfter, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// statusAt answers code with Retry-After as an HTTP date `after` from now.
func statusAt(clock *fakeClock, code int, after time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", clock.Now().Add(after).Format(http.TimeFormat))
		w.WriteHeader(code)
	}
}

func redirect(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
	}
}

// A receiver that hangs is cut off by Timeout (50 ms real time, the only real
// wait in these tests) and the delivery is retried.
func TestSenderTimeout(t *testing.T) {
	clock := newFakeClock()
	release := make(chan struct{})
	var mu sync.Mutex
	hang := true
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		h := hang
		mu.Unlock()
		if h {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	defer close(release) // runs before srv.Close

	ob := newMemOutbox()
	ob.add("sig-slow", []byte(`{}`), 0, clock.Now())
	cfg := testConfig(srv.URL, clock, nil)
	cfg.Timeout = 50 * time.Millisecond
	s := NewSender(cfg, ob)

	st, err := s.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := ob.row("sig-slow")
	if st.Retrying != 1 || r.state != "pending" || r.d.Attempts != 1 || !strings.Contains(r.lastError, "timeout after 50ms") {
		t.Fatalf("after timeout: stats %+v row %+v", st, r)
	}

	mu.Lock()
	hang = false
	mu.Unlock()
	// Not due yet: nothing is sent.
	if st, err := s.Deliver(context.Background()); err != nil || st != (DeliverStats{}) {
		t.Fatalf("early Deliver: %+v %v", st, err)
	}
	clock.Advance(time.Second)
	st, err = s.Deliver(context.Background())
	if err != nil || st.Sent != 1 {
		t.Fatalf("retry: %+v %v", st, err)
	}
	if r := ob.row("sig-slow"); r.state != "delivered" {
		t.Fatalf("state %s", r.state)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Fatalf("%d requests, want 2", calls)
	}
}

// The process dies in the middle of a Deliver (its context is cancelled
// while the 4th request is in flight, after the receiver processed it). A new
// Sender over the same outbox delivers the rest. Nothing is lost; the only
// signal sent twice is the one whose outcome was never recorded, and the
// receiver's dedup absorbs it (at-least-once).
func TestSenderRestart(t *testing.T) {
	clock := newFakeClock()
	secret := []byte("restart-secret")
	ids, bodies := testSignals(t, 10)
	ob := newMemOutbox()
	for _, id := range ids {
		ob.add(id, bodies[id], 0, clock.Now())
	}

	ctx1, die := context.WithCancel(context.Background())
	defer die()
	release := make(chan struct{})
	rc := newReceiver(t, secret, clock)
	rc.onRequest = func(n int, key string, body []byte, r *http.Request) bool {
		if n != 4 {
			return false
		}
		rc.mu.Lock()
		rc.process(key, body) // stored by the receiver…
		rc.mu.Unlock()
		die() // …but the sender process dies before the answer arrives
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(release)

	cfg := testConfig(srv.URL, clock, nil)
	cfg.Secret = secret
	st, err := NewSender(cfg, ob).Deliver(ctx1)
	if !errors.Is(err, context.Canceled) || st.Sent != 3 || st.Retrying != 0 {
		t.Fatalf("first sender: %+v %v", st, err)
	}
	want := map[string]string{}
	for i, id := range ids {
		want[id] = "pending"
		if i < 3 {
			want[id] = "delivered"
		}
	}
	if got := ob.states(); !reflect.DeepEqual(got, want) {
		t.Fatalf("outbox after the crash %v, want %v", got, want)
	}
	if r := ob.row("sig-04"); r.d.Attempts != 0 {
		t.Fatalf("interrupted attempt was recorded: %+v", r)
	}

	// A new process: new Sender (new client), same outbox.
	rc.mu.Lock()
	rc.onRequest = nil
	rc.mu.Unlock()
	st, err = NewSender(cfg, ob).Drain(context.Background(), time.Hour)
	if err != nil || st.Sent != 7 || st.Pending != 0 {
		t.Fatalf("second sender: %+v %v", st, err)
	}
	checkReceiver(t, rc, ob, ids, bodies)
	requests, _, dupes, _ := rc.snapshot()
	for _, id := range ids {
		wantReq := 1
		if id == "sig-04" {
			wantReq = 2
		}
		if requests[id] != wantReq {
			t.Errorf("%s: %d requests, want %d", id, requests[id], wantReq)
		}
	}
	if want := map[string]int{"sig-04": 1}; !reflect.DeepEqual(dupes, want) {
		t.Errorf("deduplicated %v, want %v", dupes, want)
	}
}

// A receiver that always fails: Drain sleeps 1, 2, 4, … capped at MaxBackoff,
// then the delivery goes dead after MaxAttempts.
func TestDrainBackoffGrowsAndCapsThenDead(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	var seen []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, clock.Now())
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	ob := newMemOutbox()
	ob.add("sig-down", []byte(`{}`), 0, clock.Now())
	cfg := testConfig(srv.URL, clock, nil)
	cfg.MaxBackoff = time.Minute
	cfg.MaxAttempts = 10
	st, err := NewSender(cfg, ob).Drain(context.Background(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := time.Second
	wantSleeps := []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s}
	if got := clock.Sleeps(); !reflect.DeepEqual(got, wantSleeps) {
		t.Fatalf("sleeps %v, want %v", got, wantSleeps)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 10 {
		t.Fatalf("%d requests, want 10", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if gap := seen[i].Sub(seen[i-1]); gap != wantSleeps[i-1] {
			t.Errorf("gap before request %d: %s, want %s", i+1, gap, wantSleeps[i-1])
		}
	}
	r := ob.row("sig-down")
	if r.state != "dead" || r.d.Attempts != 10 || r.status != 503 || !strings.Contains(r.detail, "503 Service Unavailable") {
		t.Fatalf("row %+v", r)
	}
	if st.Retrying != 9 || st.Dead != 1 || st.Sent != 0 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// 429 with Retry-After: 120 makes Drain wait at least 120 s of fake time.
func TestDrainHonoursRetryAfter(t *testing.T) {
	clock := newFakeClock()
	rc := newReceiver(t, nil, clock)
	rc.script["sig-rl"] = []reply{{status: 429, retryAfter: "120"}}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	ob := newMemOutbox()
	ob.add("sig-rl", []byte(`{"x":1}`), 0, clock.Now())
	start := clock.Now()
	st, err := NewSender(testConfig(srv.URL, clock, nil), ob).Drain(context.Background(), time.Hour)
	if err != nil || st.Sent != 1 || st.Retrying != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	rc.mu.Lock()
	at := rc.at["sig-rl"]
	rc.mu.Unlock()
	if len(at) != 2 || at[1].Sub(at[0]) < 120*time.Second || clock.Now().Sub(start) < 120*time.Second {
		t.Fatalf("requests at %v (start %v)", at, start)
	}
	_, _, _, problems := rc.snapshot()
	for _, p := range problems { // includes: no signature header without a secret
		t.Error(p)
	}
}

// Drain stops before a sleep that would overrun its budget and reports what
// is still pending.
func TestDrainBudget(t *testing.T) {
	clock := newFakeClock()
	srv := httptest.NewServer(status(503, "", ""))
	defer srv.Close()
	ob := newMemOutbox()
	ob.add("a", []byte(`{}`), 0, clock.Now())
	ob.add("b", []byte(`{}`), 0, clock.Now().Add(time.Hour)) // not due within the budget
	start := clock.Now()
	st, err := NewSender(testConfig(srv.URL, clock, nil), ob).Drain(context.Background(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Attempts at 0, 1, 3, 7 s; the next would be at 15 s > 10 s.
	if st.Retrying != 4 || st.Pending != 2 || st.Sent != 0 {
		t.Fatalf("stats %+v", st)
	}
	if el := clock.Now().Sub(start); el != 7*time.Second {
		t.Fatalf("elapsed %s, want 7s", el)
	}
	if r := ob.row("b"); r.d.Attempts != 0 {
		t.Fatalf("b attempted: %+v", r)
	}

	// A cancelled context stops Drain.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewSender(testConfig(srv.URL, clock, nil), ob).Drain(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Drain: %v", err)
	}
}

// Many due deliveries (more than one Due page) are each sent exactly once per
// Deliver, including ones that fail with a zero-jitter backoff.
func TestDeliverPagesOncePerDelivery(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	counts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		counts[key]++
		mu.Unlock()
		if strings.HasSuffix(key, "7") {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	ob := newMemOutbox()
	const n = 250
	for i := range n {
		ob.add(fmt.Sprintf("sig-%03d", i), []byte(`{}`), 0, clock.Now())
	}
	cfg := testConfig(srv.URL, clock, nil)
	cfg.Jitter = func() float64 { return 0 }
	st, err := NewSender(cfg, ob).Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 225 || st.Retrying != 25 {
		t.Fatalf("stats %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(counts) != n {
		t.Fatalf("%d keys seen, want %d", len(counts), n)
	}
	for k, c := range counts {
		if c != 1 {
			t.Fatalf("%s sent %d times in one Deliver", k, c)
		}
	}
}

func TestBackoff(t *testing.T) {
	s := NewSender(WebhookConfig{URL: "http://x"}, newMemOutbox()) // defaults: 1s, 5m
	var prev time.Duration
	for n := 1; n <= 100; n++ {
		for _, j := range []float64{0, 0.5, 1} {
			s.cfg.Jitter = func() float64 { return j }
			b := min(time.Second<<min(n-1, 20), 5*time.Minute)
			want := b/2 + time.Duration(j*float64(b-b/2))
			if got := s.backoff(n); got != want {
				t.Fatalf("backoff(%d) jitter %v = %s, want %s", n, j, got, want)
			}
		}
		s.cfg.Jitter = func() float64 { return 1 }
		got := s.backoff(n)
		if got < prev || got > 5*time.Minute {
			t.Fatalf("backoff(%d) = %s after %s", n, got, prev)
		}
		prev = got
	}
	if prev != 5*time.Minute {
		t.Fatalf("cap %s", prev)
	}
	// Out-of-range jitter is clamped.
	for j, want := range map[float64]time.Duration{-3: 500 * time.Millisecond, 7: time.Second} {
		s.cfg.Jitter = func() float64 { return j }
		if got := s.backoff(1); got != want {
			t.Errorf("jitter %v: %s, want %s", j, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"", 0, false},
		{"1.5", 0, false},
		{"tomorrow", 0, false},
		{now.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sun, 06 Nov 1994 08:49:37 GMT", 0, true},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 0, true}, // RFC 850
		{"999999999999", 24 * time.Hour, true},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s %v, want %s %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSenderBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://host/x", "http://", "://bad?token=secret-token", "/relative"} {
		ob := newMemOutbox()
		ob.add("a", []byte(`{}`), 0, time.Time{})
		_, err := NewSender(WebhookConfig{URL: u}, ob).Deliver(context.Background())
		if err == nil {
			t.Errorf("URL %q: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("error leaks the URL: %v", err)
		}
		if ob.row("a").d.Attempts != 0 {
			t.Errorf("URL %q: attempted", u)
		}
	}
}

func TestEncodeBody(t *testing.T) {
	s := sampleSignal()
	for format, want := range map[string]func(Signal) ([]byte, error){"": NativeBody, "native": NativeBody, "OCSF": OCSFBody} {
		got, err := EncodeBody(format, s)
		w, _ := want(s)
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("EncodeBody(%q): %v", format, err)
		}
	}
	if _, err := EncodeBody("xml", s); err == nil {
		t.Error("EncodeBody(xml): no error")
	}
}

// staleOutbox keeps failed deliveries due at once (a store that ignores
// next): Deliver must still make one attempt per delivery, not loop.
type staleOutbox struct{ *memOutbox }

func (o staleOutbox) Retry(ctx context.Context, id string, attempts int, _ time.Time, lastError string) error {
	return o.memOutbox.Retry(ctx, id, attempts, time.Time{}, lastError)
}

func TestDeliverOneAttemptEachEvenIfStillDue(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	counts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	ob := staleOutbox{newMemOutbox()}
	const n = 250 // more than one Due page
	want := map[string]int{}
	for i := range n {
		id := fmt.Sprintf("s%03d", i)
		ob.add(id, []byte(`{}`), 0, clock.Now())
		want[id] = 1
	}
	st, err := NewSender(testConfig(srv.URL, clock, nil), ob).Deliver(context.Background())
	if err != nil || st.Retrying != n {
		t.Fatalf("%+v %v", st, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("requests per key differ from one each: %d keys", len(counts))
	}
}
