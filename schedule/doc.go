// Package schedule owns when detection steps run and over what: one run
// over an inbox, cron-driven runs that never overlap and survive a panic,
// and the time-ordered backfill of an archive in chunks with progress.
// Every path goes through detect.Store.Run, so they give the same signals.
package schedule
