# A streaming replica scores with the primary's models, and one long-lived
# replica session follows the primary: a new version replaces the one it
# cached, dropping that version brings the previous one back, and dropping
# the model makes scoring by name and by id fail.  A series model's states,
# written back at commit, reach it too.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $features = "ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method']";
my $primary = anomaly_node('primary', allows_streaming => 1);
sample_table($primary, 'postgres', 'tx', 1000);
my $v1 = $primary->safe_psql('postgres',
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'iforest', options => '{\"seed\": 1}')");

$primary->backup('base');
my $replica = PostgreSQL::Test::Cluster->new('replica');
$replica->init_from_backup($primary, 'base', has_streaming => 1);
$replica->start;
$primary->wait_for_catchup($replica);

# the score lists of each version, by id on the primary
my $by_name = scores_sql("'m'", 'tx', 'transaction_id');
my $v1_scores = exact_scores($primary, 'postgres', "${v1}::bigint", 'tx', 'transaction_id');

my $session = open_session($replica, 'postgres');
is($session->query_safe('SELECT pg_is_in_recovery()'), 't', 'the session is on the replica');
is($session->query_safe($by_name), $v1_scores, 'the replica scores by name with the primary\'s model');
is($session->query_safe(scores_sql("${v1}::bigint", 'tx', 'transaction_id')),
	$v1_scores, 'and by id');

# a new version on the primary replaces the one the replica session cached
my $v2 = $primary->safe_psql('postgres',
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'hbos')");
my $v2_scores = exact_scores($primary, 'postgres', "${v2}::bigint", 'tx', 'transaction_id');
isnt($v2_scores, $v1_scores, 'the two versions score differently');
$primary->wait_for_catchup($replica);
is($session->query_safe($by_name), $v2_scores,
	'after replay the same replica session scores by name with the new version');

# dropping version 2 brings version 1 back
$primary->safe_psql('postgres', "SELECT anomaly_drop('m', 2)");
$primary->wait_for_catchup($replica);
is($session->query_safe($by_name), $v1_scores,
	'after version 2 is dropped the session scores with version 1 again');
my ($out, $failed) = $session->query(scores_sql("${v2}::bigint", 'tx', 'transaction_id'));
ok($failed, 'scoring by the dropped id fails');
like($session->{stderr}, qr/anomaly model with id $v2 does not exist/,
	'with a clear error');
$session->{stderr} = '';

# dropping the model: by name and by the id the session cached, an error
$primary->safe_psql('postgres', "SELECT anomaly_drop('m')");
$primary->wait_for_catchup($replica);
($out, $failed) = $session->query($by_name);
ok($failed, 'scoring the dropped model by name fails on the replica');
like($session->{stderr}, qr/anomaly model "m" does not exist/, 'with a clear error');
$session->{stderr} = '';
($out, $failed) = $session->query(scores_sql("${v1}::bigint", 'tx', 'transaction_id'));
ok($failed, 'scoring the dropped model by its cached id fails on the replica');
like($session->{stderr}, qr/anomaly model with id $v1 does not exist/, 'with a clear error');
$session->{stderr} = '';

# training on the replica is refused cleanly
($out, $failed) = $session->query(
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'hbos')");
ok($failed, 'training on the replica fails');
like($session->{stderr}, qr/read-only transaction/, 'because the replica is read-only');
$session->{stderr} = '';
is($session->query_safe('SELECT 1'), '1', 'and the session goes on');

# series states, written back at commit, reach the replica; feeding a
# series there is refused as any write is
$primary->safe_psql('postgres', q{
	CREATE TABLE readings AS
	  SELECT 's'::text AS host, timestamptz '2026-01-01 00:00+00' + i * interval '1 hour' AS ts,
	         100 + 20 * sin(2 * pi() * i / 24) AS value
	    FROM generate_series(0, 199) i;
	SELECT anomaly_ts_train('load', 'readings', 'ts', 'value', ARRAY['host']);
	BEGIN;
	SELECT anomaly_ts_update('load', 's', timestamptz '2026-01-09 08:00+00' + k * interval '1 hour', 100)
	  FROM generate_series(0, 4) k;
	COMMIT;
});
my $states_sql = 'SELECT series, points, last_ts, md5(state) FROM anomaly_ts_state';
my $states = $primary->safe_psql('postgres', $states_sql);
like($states, qr/^s\|205\|/, 'the primary committed five points of the series');
$primary->wait_for_catchup($replica);
is($session->query_safe($states_sql), $states, 'the replica has the same state');
($out, $failed) = $session->query(
	"SELECT anomaly_ts_update('load', 's', timestamptz '2026-01-10 00:00+00', 100)");
ok($failed, 'feeding a series on the replica fails');
like($session->{stderr}, qr/read-only transaction/, 'because the replica is read-only');
$session->{stderr} = '';
$session->quit;

done_testing();
