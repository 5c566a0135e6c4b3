"""check_dom.py DOM.html [EXPECTED...] - the DOM a browser built from a
report (or, with PAGE=monitor in the environment, a monitoring page) holds
every section and what each draws.  EXPECTED names the optional sections
(timeline, confusion, roc, segments; drift for the monitoring page) the page
must have; given at all (even as "none"), the optional sections not named
must be absent.  Exits 1 on failure."""
import collections
import os
import sys
from html.parser import HTMLParser

MONITOR = os.environ.get('PAGE') == 'monitor'
REQUIRED = (['summary', 'batches', 'range-grid', 'latest', 'events'] if MONITOR else
            ['summary', 'histogram', 'top-anomalies', 'out-of-range', 'importance',
             'distributions', 'scatter'])
OPTIONAL = ['drift'] if MONITOR else ['timeline', 'confusion', 'roc', 'segments']
VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'source', 'wbr'}


class ReportParser(HTMLParser):
    """Counts elements per section, as tag and as tag.class."""

    def __init__(self):
        super().__init__()
        self.open_sections = []     # (depth, id)
        self.depth = 0
        self.counts = collections.defaultdict(collections.Counter)
        self.text = collections.defaultdict(str)
        self.forbidden = []
        self.sections = set()

    def handle_startendtag(self, tag, attrs):
        """An element written <tag/>: counted, nothing opened."""
        self.count_element(tag, dict(attrs))

    def handle_starttag(self, tag, attrs):
        """An opening tag: counted, and a section's id remembered."""
        attrs = dict(attrs)
        if tag == 'section' and attrs.get('id'):
            self.open_sections.append((self.depth, attrs['id']))
            self.sections.add(attrs['id'])
        self.count_element(tag, attrs)
        if tag not in VOID:
            self.depth += 1

    def count_element(self, tag, attrs):
        """Count an element in its section and in the whole page."""
        if tag == 'script' or 'src' in attrs or 'href' in attrs or \
                any(name.startswith('on') for name in attrs):
            self.forbidden.append(self.get_starttag_text())
        where = self.open_sections[-1][1] if self.open_sections else ''
        for name in (where, '*'):
            self.counts[name][tag] += 1
            for css_class in (attrs.get('class') or '').split():
                self.counts[name][tag + '.' + css_class] += 1

    def handle_endtag(self, tag):
        """A closing tag: leaves the section it closes."""
        if tag in VOID:
            return
        self.depth -= 1
        if self.open_sections and self.open_sections[-1][0] == self.depth:
            self.open_sections.pop()

    def handle_data(self, data):
        """Text, kept per section."""
        if self.open_sections:
            self.text[self.open_sections[-1][1]] += data


def main():
    """Parse the DOM, run the checks, print them and exit 1 on a failure."""
    page = ReportParser()
    page.feed(open(sys.argv[1], encoding='utf-8').read())
    expected = sys.argv[2:]
    count = page.counts
    checks = [('no script, src, href or event handler (%s)' % (page.forbidden[:3] or 'none'),
               not page.forbidden),
              ('%d <svg> (>= 1)' % count['*']['svg'], count['*']['svg'] >= 1)]
    for section in REQUIRED + [s for s in OPTIONAL if s in expected]:
        checks.append(('section #%s present' % section, section in page.sections))
    if expected:
        for section in OPTIONAL:
            if section not in expected:
                checks.append(('section #%s absent' % section, section not in page.sections))
    if MONITOR:
        checks += monitor_checks(page, expected)
    else:
        checks += report_checks(page, expected)
    failed = 0
    for what, ok in checks:
        print('  %s dom: %s' % ('ok  ' if ok else 'FAIL', what))
        failed += not ok
    sys.exit(1 if failed else 0)


def monitor_checks(page, expected):
    """What the monitoring page's sections must draw."""
    count = page.counts
    marks = count['batches']['circle.mark']
    checks = [
        ('#summary: title <h1> and %d tiles' % count['summary']['div.tile'],
         count['summary']['h1'] == 1 and count['summary']['div.tile'] == 5),
        ('#batches: %d marks, %d red, %d green' % (marks, count['batches']['circle.bad'],
                                                   count['batches']['circle.ok']),
         marks >= 1 and marks == count['batches']['circle.bad'] + count['batches']['circle.ok']),
        ('#batches: the expected rate line', count['batches']['line.expected'] == 1),
        ('#range-grid: %d cells (>= 1)' % count['range-grid']['td.cell'],
         count['range-grid']['td.cell'] >= 1),
        ('#latest: %d table rows (>= 2)' % count['latest']['tr'], count['latest']['tr'] >= 2),
        ('#events: %d points (>= 1)' % count['events']['circle'], count['events']['circle'] >= 1),
        ('#events: %d threshold lines (1)' % count['events']['line.threshold'],
         count['events']['line.threshold'] == 1),
    ]
    if 'drift' in expected:
        checks.append(('#drift: %d table rows (>= 2)' % count['drift']['tr'], count['drift']['tr'] >= 2))
    return checks


def report_checks(page, expected):
    """What the report's sections must draw."""
    count = page.counts
    summary, histogram = count['summary'], count['histogram']
    checks = [
        ('#summary: title <h1> and %d tiles' % summary['div.tile'],
         summary['h1'] == 1 and summary['div.tile'] == 4),
        ('#histogram: %d bars <rect class="bar">, %d of them flagged (>= 1)'
         % (histogram['rect.bar'], histogram['rect.flagged']),
         histogram['rect.bar'] >= 1),
        ('#histogram: %d threshold lines (1)' % histogram['line.threshold'],
         histogram['line.threshold'] == 1),
        ('#histogram: %d axis labels (>= 4)' % histogram['text'], histogram['text'] >= 4),
        ('#top-anomalies: %d table rows (>= 2)' % count['top-anomalies']['tr'],
         count['top-anomalies']['tr'] >= 2),
        ('#out-of-range: %d table rows (>= 2)' % count['out-of-range']['tr'],
         count['out-of-range']['tr'] >= 2),
        ('#importance: %d table rows (>= 2)' % count['importance']['tr'],
         count['importance']['tr'] >= 2),
        ('#distributions: %d charts, %d bars' % (count['distributions']['svg'],
                                                 count['distributions']['rect.bar']),
         count['distributions']['svg'] >= 1 and count['distributions']['rect.bar'] >= 2),
        ('#scatter: %d points, %d flagged' % (count['scatter']['circle'],
                                              count['scatter']['g.flagged']),
         count['scatter']['circle'] >= 2),
    ]
    if 'timeline' in expected:
        timeline = count['timeline']
        checks += [('#timeline: %d points <circle> (>= 1)' % timeline['circle'],
                    timeline['circle'] >= 1),
                   ('#timeline: %d threshold lines (1)' % timeline['line.threshold'],
                    timeline['line.threshold'] == 1),
                   ('#timeline: UTC time axis', '(UTC)' in page.text['timeline'])]
    if 'segments' in expected:
        checks.append(('#segments: %d table rows (>= 2)' % count['segments']['tr'],
                       count['segments']['tr'] >= 2))
    if 'confusion' in expected:
        checks.append(('#confusion: 2x2 matrix and metrics',
                       count['confusion']['table.confusion'] == 1 and
                       count['confusion']['small'] == 4 and 'ROC AUC' in page.text['confusion']))
    if 'roc' in expected:
        checks.append(('#roc: curve, diagonal and AUC caption',
                       count['roc']['path.roc-curve'] == 1 and count['roc']['line.diagonal'] == 1
                       and 'ROC AUC =' in page.text['roc']))
    return checks


main()
