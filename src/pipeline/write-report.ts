/** The files of a search run's report, all rebuilt from its journal. */
import { join } from 'node:path';
import type { SearchSummary } from '../report/search-summary.js';
import { searchFigures, searchReportHtml } from '../report/search-report.js';
import { svgToPng } from '../report/svg-plot.js';
import { writeFileAtomic } from '../storage/files.js';
import { readRunJournal } from './run-events.js';
import { summaryFromJournal } from './summary-from-journal.js';

/** Writes summary.json, report.html and the figures (SVG, and PNG where resvg loads) of `runDir`, and returns the summary. */
export async function writeSearchReport(runDir: string): Promise<SearchSummary> {
  const replay = readRunJournal(join(runDir, 'journal.jsonl'));
  const summary = summaryFromJournal(replay.events, runDir);
  const figures = searchFigures(summary);
  for (const [name, svg] of Object.entries(figures)) {
    writeFileAtomic(join(runDir, name), svg);
    const png = await svgToPng(svg);
    if (png) writeFileAtomic(join(runDir, name.replace(/\.svg$/, '.png')), png);
  }
  writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2));
  writeFileAtomic(join(runDir, 'report.html'), searchReportHtml(summary, figures));
  return summary;
}
