# A statement scoring by name while another session commits a new version
# of the model scores every row with one version: each row is read back
# against the scores by id of both versions, and must match the same one.
# The statement waits half-way for the commit, and every row after it opens
# a table it has not opened yet, so the backend takes in the new version's
# cache invalidation mid-statement.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows = 60;
my $features = "ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method']";
my $node = anomaly_node('consistent');
sample_table($node, 'postgres', 'tx', 1000);
my $v1 = $node->safe_psql('postgres',
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'iforest')");

# one empty table per row, and a gate half-way: the row there waits for an
# advisory lock the test holds while it trains version 2
$node->safe_psql('postgres', qq{
	SELECT format('CREATE TABLE tick_%s ()', g) FROM generate_series(0, $rows - 1) g \\gexec
	CREATE FUNCTION pass_row(n int) RETURNS bool LANGUAGE plpgsql VOLATILE AS \$\$
	BEGIN
		IF n = $rows / 2 THEN
			PERFORM pg_advisory_lock(7);
		END IF;
		EXECUTE format('SELECT FROM tick_%s', n);
		RETURN true;
	END \$\$;
	CREATE TABLE probe AS SELECT row_number() OVER (ORDER BY transaction_id)::int - 1 AS n, t.*
		FROM tx t ORDER BY transaction_id LIMIT $rows;
});
my $gate = open_session($node, 'postgres');
$gate->query_safe('SELECT pg_advisory_lock(7)');

# each row's score as hex, in scan order, the row's table opened first
my $scoring = "SELECT string_agg(p.n || '=' || encode(float8send(anomaly_score('m', p)), 'hex'), ' ') "
  . "FROM (SELECT pass_row(n) AS passed, * FROM probe ORDER BY n) p WHERE p.passed;";
my $scorer = open_session($node, 'postgres');
my $scorer_pid = $scorer->query_safe('SELECT pg_backend_pid()');
my $statement = start_statement($scorer, $scoring);
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $scorer_pid")
  or die 'the scoring statement did not reach the gate';

my $v2 = $node->safe_psql('postgres',
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'hbos')");
is( $node->safe_psql('postgres',
		"SELECT state FROM pg_stat_activity WHERE pid = $scorer_pid AND query LIKE '%pass_row%'"),
	'active', 'version 2 was committed while the statement was scoring');
$gate->query_safe('SELECT pg_advisory_unlock(7)');
$gate->quit;

my ($scored, $err) = finish_statement($scorer, $statement);
is($err, '', 'the scoring statement succeeded');

# the scores of both versions by id, in the same row numbering
my %by_version;
for my $version ([ 1, $v1 ], [ 2, $v2 ])
{
	my ($v, $id) = @$version;
	for (split / /,
		$node->safe_psql('postgres',
			"SELECT string_agg(n || '=' || encode(float8send(anomaly_score(${id}::bigint, p)), 'hex'), ' ') FROM probe p"))
	{
		my ($n, $hex) = split /=/;
		$by_version{$v}{$n} = $hex;
	}
}
my $differing = grep { $by_version{1}{$_} ne $by_version{2}{$_} } keys %{ $by_version{1} };
is($differing, $rows, 'the two versions give every probe row a different score');

my %rows_of;
my @scored = split / /, $scored;
is(scalar @scored, $rows, "the statement scored all $rows rows");
for (@scored)
{
	my ($n, $hex) = split /=/;
	my @versions = grep { $by_version{$_}{$n} eq $hex } (1, 2);
	my $version = @versions ? $versions[0] : 'neither';
	push @{ $rows_of{$version} }, $n;
}
is_deeply([ sort keys %rows_of ], [ (sort keys %rows_of)[0] ],
	'every row of the statement was scored by the same version')
  or diag explain \%rows_of;
ok(exists $rows_of{1} || exists $rows_of{2}, 'that version is one of the two');
note 'the statement scored with version ' . join(', ', keys %rows_of);

$scorer->quit;

done_testing();
