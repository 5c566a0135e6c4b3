# pg_dump and pg_restore into a new database keep every model (versions,
# owners, bytes), the monitoring events and batches, and the identity
# sequences, and the restored models score bit-identically.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('dump');
my $features = "ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method', 'merchant_category']";
my @algorithms = qw(iforest knn lof ocsvm hbos ecod mahalanobis);

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', 'CREATE EXTENSION anomaly');
sample_table($node, 'source', 'tx', 1500);

# two owners besides the bootstrap superuser, and a role that is neither
$node->safe_psql('source', qq(
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE carol LOGIN;
	GRANT SELECT ON tx TO alice, bob, carol;
));
for my $algorithm (@algorithms)
{
	$node->safe_psql('source',
		"SELECT anomaly_train('$algorithm', 'tx', columns => $features, "
		  . "algorithm => '$algorithm', contamination => 0.05, label => 'is_anomaly')");
}
$node->safe_psql('source', qq(
	SET ROLE alice;
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'iforest',
	                     options => '{"seed": 1}');
	RESET ROLE;
	SET ROLE alice;
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'iforest',
	                     options => '{"seed": 2}');
	SELECT anomaly_grant('fraud', 'bob');
	RESET ROLE;
	SET ROLE bob;
	SELECT anomaly_train('bobs', 'tx', columns => $features, algorithm => 'copod');
	RESET ROLE;
));
is( $node->safe_psql('source',
		"SELECT string_agg(name || ' ' || version || ' ' || owner || ' ' || readers::text, ', ' "
		  . "ORDER BY name, version) FROM anomaly_model_list WHERE owner <> current_user"),
	'bobs 1 bob {}, fraud 1 alice {bob}, fraud 2 alice {bob}',
	'alice owns fraud, granted to bob, and bob owns bobs');

# monitoring: a row trigger logs every row, a statement trigger its batches
$node->safe_psql('source', qq(
	CREATE TABLE incoming (LIKE tx INCLUDING ALL);
	CREATE TRIGGER log_rows AFTER INSERT ON incoming FOR EACH ROW
		EXECUTE FUNCTION anomaly_monitor('fraud', 'log=all');
	CREATE TRIGGER log_batches AFTER INSERT ON incoming
		REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
		EXECUTE FUNCTION anomaly_monitor('iforest');
	INSERT INTO incoming SELECT * FROM tx WHERE transaction_id < 'TXN_00300';
	INSERT INTO incoming SELECT * FROM tx WHERE transaction_id >= 'TXN_01400';
));
my $events_sql = "SELECT count(*), md5(string_agg(e::text, '|' ORDER BY id)) FROM anomaly_events e";
my $batches_sql = "SELECT count(*), md5(string_agg(b::text, '|' ORDER BY id)) FROM anomaly_batches b";
my $events = $node->safe_psql('source', $events_sql);
my $batches = $node->safe_psql('source', $batches_sql);
is( $node->safe_psql('source', "SELECT count(*) FROM anomaly_events WHERE model_name = 'fraud'"),
	'400', 'the row trigger logged all 400 rows');
like($batches, qr/^[1-9]\d*\|/, 'the statement trigger logged its batches');

my %scores;
my @models = (map { "'$_'" } @algorithms, 'fraud', 'bobs');
my $ids = $node->safe_psql('source', 'SELECT string_agg(id::text, \' \' ORDER BY id) FROM anomaly_models');
push @models, map { "${_}::bigint" } split / /, $ids;
$scores{$_} = exact_scores($node, 'source', $_, 'tx', 'transaction_id') for @models;
my %distinct = map { $scores{"'$_'"} => 1 } @algorithms;
is(scalar keys %distinct, scalar @algorithms, 'every algorithm scores differently');
my $models = model_rows($node, 'source');

# dump in the custom format, restore into a new database
my $dump = $node->basedir . '/source.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'source' ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'restored', $dump ], 'pg_restore');

is(model_rows($node, 'restored'), $models,
	'every model row (versions, owners, bytes) is restored unchanged');
is($node->safe_psql('restored', $events_sql), $events, 'anomaly_events is restored unchanged');
is($node->safe_psql('restored', $batches_sql), $batches, 'anomaly_batches is restored unchanged');
for my $model (@models)
{
	is(exact_scores($node, 'restored', $model, 'tx', 'transaction_id'),
		$scores{$model}, "model $model scores bit-identically after the restore");
}

# who sees what is restored too
my $sees = "SELECT string_agg(name, ' ' ORDER BY name) FROM (SELECT DISTINCT name FROM anomaly_model_list) n";
is($node->safe_psql('restored', "SET ROLE bob; $sees"), 'bobs fraud',
	'bob still sees his model and the one granted to him');
is($node->safe_psql('restored', "SET ROLE carol; $sees"), '', 'carol still sees none');
is( $node->safe_psql('restored', "SET ROLE bob; " . scores_sql("'fraud'", 'tx', 'transaction_id')),
	$scores{"'fraud'"}, 'bob scores with the granted model as before');

# the identity sequences were restored too: new rows get fresh ids
my $next = $node->safe_psql('restored', qq(
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'iforest');
));
is($next, $node->safe_psql('source', 'SELECT max(id) + 1 FROM anomaly_models'),
	'a model trained after the restore takes the next id');
is($node->safe_psql('restored', "SELECT max(version) FROM anomaly_models WHERE name = 'fraud'"),
	'3', 'and the next version');
$node->safe_psql('restored', "INSERT INTO incoming SELECT * FROM tx WHERE transaction_id = 'TXN_00500'");
is( $node->safe_psql('restored',
			"SELECT count(*), count(DISTINCT id), max(model_version) FROM anomaly_events "
		  . "WHERE model_name = 'fraud'"),
	'401|401|3',
	'the restored trigger logs new events with fresh ids, scored by the new version');

done_testing();
