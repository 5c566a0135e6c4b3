# Segmented models across a dump and restore, and under concurrent training.
#
# pg_dump and pg_restore keep segmented models (one and two segment columns,
# and one whose segments were all too small) byte for byte: every row scores
# bit-identically by name and by id, the per-segment evaluation is the same,
# and the monitoring events and batches keep their segments.
#
# A statement scoring by name with a segmented model while another session
# commits a new version of that name scores every row with one version: each
# row is read back against the scores by id of both versions.  The statement
# waits half-way for the commit, and every row after it opens a table it has
# not opened yet, so the backend takes in the cache invalidation mid-statement.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('segments');

# ---- dump and restore ----
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', 'CREATE EXTENSION anomaly');
sample_table($node, 'source', 'tx', 3000);
$node->safe_psql('source', q{
	SET client_min_messages = warning;
	SELECT anomaly_train('by_category', 'tx', columns => ARRAY['amount', 'hour_of_day', 'payment_method'],
	                     algorithm => 'iforest', segment_by => ARRAY['merchant_category']);
	SELECT anomaly_train('by_two', 'tx', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'hbos',
	                     options => '{"min_segment_rows": 20}',
	                     segment_by => ARRAY['merchant_category', 'payment_method']);
	SELECT anomaly_train('all_small', 'tx', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'ecod',
	                     options => '{"min_segment_rows": 100000}', segment_by => ARRAY['merchant_category']);
	CREATE TABLE incoming (LIKE tx INCLUDING ALL);
	CREATE TRIGGER log_rows AFTER INSERT ON incoming FOR EACH ROW
		EXECUTE FUNCTION anomaly_monitor('by_two', 'log=all');
	CREATE TRIGGER log_batches AFTER INSERT ON incoming
		REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
		EXECUTE FUNCTION anomaly_monitor('by_category');
	INSERT INTO incoming SELECT * FROM tx WHERE transaction_id < 'TXN_00500';
});
is( $node->safe_psql('source',
		"SELECT string_agg(name || ' ' || segments, ', ' ORDER BY name) FROM anomaly_model_list"),
	'all_small 0, by_category 5, by_two 15',
	'three segmented models: 5 and 15 segments with a model of their own, and none');
is( $node->safe_psql('source',
		"SELECT count(*) FILTER (WHERE segment IS NULL), count(DISTINCT segment) FROM anomaly_events"),
	'0|20', 'every event carries one of the 20 segments');
is( $node->safe_psql('source', "SELECT count(segment) FROM anomaly_batches"),
	'5', 'the statement wrote a batch per segment model');

my $events_sql = "SELECT count(*), md5(string_agg(e::text, '|' ORDER BY id)) FROM anomaly_events e";
my $batches_sql = "SELECT count(*), md5(string_agg(b::text, '|' ORDER BY id)) FROM anomaly_batches b";
my $evaluation_sql = "SELECT md5(string_agg(e::text, '|' ORDER BY segment NULLS FIRST)) "
  . "FROM anomaly_evaluate_segments('by_category', 'tx', 'is_anomaly') e";
my $events = $node->safe_psql('source', $events_sql);
my $batches = $node->safe_psql('source', $batches_sql);
my $evaluation = $node->safe_psql('source', $evaluation_sql);
my $models = model_rows($node, 'source');

my @models = ("'by_category'", "'by_two'", "'all_small'");
my $ids = $node->safe_psql('source', "SELECT string_agg(id::text, ' ' ORDER BY id) FROM anomaly_models");
push @models, map { "${_}::bigint" } split / /, $ids;
my %scores;
$scores{$_} = exact_scores($node, 'source', $_, 'tx', 'transaction_id') for @models;
isnt($scores{"'by_category'"}, $scores{"'all_small'"}, 'the models score differently');

my $dump = $node->basedir . '/segments.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'source' ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'restored', $dump ], 'pg_restore');

is(model_rows($node, 'restored'), $models, 'every segmented model row is restored unchanged');
for my $model (@models)
{
	is(exact_scores($node, 'restored', $model, 'tx', 'transaction_id'),
		$scores{$model}, "model $model scores bit-identically after the restore");
}
is($node->safe_psql('restored', $evaluation_sql), $evaluation,
	'the per-segment evaluation is the same after the restore');
is($node->safe_psql('restored', $events_sql), $events, 'the events and their segments are restored');
is($node->safe_psql('restored', $batches_sql), $batches, 'the batches and their segments are restored');
my $logged = $node->safe_psql('restored', "SELECT count(*) FROM anomaly_events WHERE model_name = 'by_two'");
$node->safe_psql('restored', "INSERT INTO incoming SELECT * FROM tx WHERE transaction_id = 'TXN_00600'");
is( $node->safe_psql('restored',
		"SELECT count(*), count(segment) FROM anomaly_events WHERE model_name = 'by_two'"),
	($logged + 1) . '|' . ($logged + 1), 'the restored trigger routes new rows and logs their segment');

# ---- concurrent scoring while a new version is trained ----
my $rows = 60;
my $features = "ARRAY['amount', 'hour_of_day', 'payment_method']";
sample_table($node, 'postgres', 'tx', 2000);
my $v1 = $node->safe_psql('postgres',
	"SET client_min_messages = warning; SELECT anomaly_train('m', 'tx', columns => $features, "
	  . "algorithm => 'iforest', segment_by => ARRAY['merchant_category'])");

my ($scored, $err, $state, $v2) = score_while_training($node, $rows,
	"SET client_min_messages = warning; SELECT anomaly_train('m', 'tx', columns => $features, "
	  . "algorithm => 'hbos', segment_by => ARRAY['merchant_category'])");
is($node->safe_psql('postgres', 'SELECT count(DISTINCT merchant_category) FROM probe'),
	'5', 'the probe rows cover every segment');
scored_by_one_version($node, $rows, { 1 => $v1, 2 => $v2 }, $scored, $err, $state);

# a new statement by name scores with version 2
is( $node->safe_psql('postgres',
		"SELECT bool_and(anomaly_score('m', p) = anomaly_score(${v2}::bigint, p)) FROM probe p"),
	't', 'the next statement scores with version 2');

done_testing();
