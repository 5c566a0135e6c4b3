#!/usr/bin/env bash
# test/browser/screenshots.sh - the README's pictures of both pages, made
# from real pages: a private PostgreSQL (as test/dev_regress.sh makes one),
# the demo's payments, the report (anomaly_report), and a monitoring history
# (twelve statements into a table watched by anomaly_monitor, one of them
# with 30 % anomalies, spread over the last twelve hours) shown by
# anomaly_monitor_report.  Each page goes through browser_test.sh (headless
# Chromium renders it and its DOM is checked) and its screenshot is written
# to docs/report.png and docs/monitor.png.
#
#   bash test/browser/screenshots.sh
source "$(dirname "$0")/../lib.sh"

ensure_packages
PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
OUT=$(mktemp -d /tmp/anomaly-shots.XXXXXX)
chmod 755 "$OUT"

step "the payments, a model, and a monitored table"
psql_q <"$REPO/test/demo_data.sql"
psql_q <<'SQL'
SET client_min_messages = warning;
SELECT anomaly_train('fraud', 'tx',
       columns => ARRAY['amount', 'customer_id', 'hour_of_day', 'day_of_week',
                        'merchant_category', 'payment_method'],
       algorithm => 'iforest', contamination => 0.05, label => 'is_anomaly');
CREATE TABLE tx_incoming (LIKE tx);
CREATE TRIGGER watch AFTER INSERT ON tx_incoming REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('fraud', 'log=all');
SQL
for b in $(seq 1 12); do
    rate=0.03
    [ "$b" -eq 8 ] && rate=0.3
    psql_q -c "INSERT INTO tx_incoming SELECT *, NULL FROM anomaly_sample('ecommerce', 300, $rate, $((100 + b)))"
    # the history as if the statements had come an hour apart
    psql_q -c "UPDATE anomaly_batches SET at = now() - interval '1 hour' * (12 - $b) WHERE id = (SELECT max(id) FROM anomaly_batches);
               UPDATE anomaly_events SET at = now() - interval '1 hour' * (12 - $b) - (id % 50) * interval '1 minute'
                WHERE at > now() - interval '1 minute'" >/dev/null
done

step "the pages"
psql_q -At -c "SELECT anomaly_report('fraud', 'tx', label => 'is_anomaly', time_column => 'at')" > "$OUT/report.html"
psql_q -At -c "SELECT anomaly_monitor_report('fraud', now() - interval '1 day', 'tx_incoming')" > "$OUT/monitor.html"
HEIGHT=4800 EXPECT="timeline confusion roc" bash "$REPO/test/browser/browser_test.sh" "$OUT/report.html" "$OUT"
HEIGHT=2300 PAGE=monitor EXPECT="drift" bash "$REPO/test/browser/browser_test.sh" "$OUT/monitor.html" "$OUT"
cp "$OUT/report.png" "$REPO/docs/report.png"
cp "$OUT/monitor.png" "$REPO/docs/monitor.png"
echo "wrote docs/report.png and docs/monitor.png (pages in $OUT)"
