package detect

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/portsweep/portsweep/sink"
)

// Webhook says where signals are delivered and in what form.
type Webhook struct {
	URL               string
	Format            string // sink.BodyNative or sink.BodyOCSF
	IncludeSuppressed bool
}

// enqueue adds a delivery for each signal to send, in the transaction that
// records the signals. A signal already queued for the URL is not queued
// again, so each Idempotency-Key is sent once per receiver.
func enqueue(ctx context.Context, tx *sql.Tx, wh *Webhook, signals []sink.Signal, now time.Time) error {
	if wh == nil || wh.URL == "" {
		return nil
	}
	for _, s := range signals {
		if s.Suppressed && !wh.IncludeSuppressed {
			continue
		}
		body, err := sink.EncodeBody(wh.Format, s)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO outbox (signal_id, url, body, status, attempts, next_attempt, created_at)
			SELECT ?, ?, ?, 'pending', 0, ?, ? WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE signal_id = ? AND url = ?)`,
			s.SignalID, wh.URL, string(body), now, now, s.SignalID, wh.URL)
		if err != nil {
			return fmt.Errorf("queue signal %s for the webhook: %w", s.SignalID, err)
		}
	}
	return nil
}

// Outbox is the database's outbox for one webhook URL (sink.Outbox).
type Outbox struct {
	db  *sql.DB
	url string
}

// Outbox returns the store's outbox for url.
func (s *Store) Outbox(url string) *Outbox { return &Outbox{db: s.DB, url: url} }

// Due implements sink.Outbox.
func (o *Outbox) Due(ctx context.Context, now time.Time, limit int) ([]sink.Delivery, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT signal_id, body, attempts, next_attempt FROM outbox
		WHERE status = 'pending' AND url = ? AND next_attempt <= ? ORDER BY next_attempt, signal_id LIMIT ?`, o.url, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer rows.Close()
	var out []sink.Delivery
	for rows.Next() {
		var d sink.Delivery
		var body string
		if err := rows.Scan(&d.SignalID, &body, &d.Attempts, &d.NextAttempt); err != nil {
			return nil, err
		}
		d.Body = []byte(body)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Delivered implements sink.Outbox.
func (o *Outbox) Delivered(ctx context.Context, signalID string, status int, at time.Time) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_status = ?, delivered_at = ?
		WHERE signal_id = ? AND url = ?`, status, at.UTC(), signalID, o.url)
	return err
}

// Retry implements sink.Outbox.
func (o *Outbox) Retry(ctx context.Context, signalID string, attempts int, next time.Time, lastError string) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ?
		WHERE signal_id = ? AND url = ?`, attempts, next.UTC(), lastError, signalID, o.url)
	return err
}

// Dead implements sink.Outbox.
func (o *Outbox) Dead(ctx context.Context, signalID string, attempts int, status int, detail string) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET status = 'dead', attempts = ?, last_status = ?, last_error = ?
		WHERE signal_id = ? AND url = ?`, attempts, status, detail, signalID, o.url)
	return err
}

// RetryDead puts every dead delivery back in the pending set.
func (s *Store) RetryDead(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt = ? WHERE status = 'dead'`, now.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
