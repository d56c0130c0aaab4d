// Package sink owns where signals go once found: the signal as delivered
// (its JSON form), JSON lines on a writer, the Hive-partitioned Parquet
// dataset, and the webhook sender with its durable outbox and retries.
package sink
