/** Report writers: report.json, junit.xml, summary.md, report.html, the run log, baseline comparison. See README "Reports". */
export { writeFileAtomic, type AtomicData } from './atomic.ts';
export {
  SCHEMA_VERSION,
  TOOL_NAME,
  VERDICTS,
  isExpectedFailure,
  isUnexpectedPass,
  readReport,
  rfcUrl,
  serializeReport,
  summarize,
  summaryOk,
  toReportCase,
  toReportJson,
  toolInfo,
  validateReport,
  type ReportCase,
  type ReportGroup,
  type ReportJson,
  type ReportRfc,
  type ReportStep,
  type ReportTool,
} from './json.ts';
export { junitKind, toJunitXml, type JunitKind } from './junit.ts';
export { MARKDOWN_LIMIT, statusWord, toSummaryMarkdown, type MarkdownOptions } from './markdown.ts';
export { LOG_LEVELS, createRunLogger, logCase, parseLogLevel, type LogLevel, type RunLogger } from './log.ts';
export { PARTIAL_FILE, REPORT_FILES, createReportWriter, writeReportFiles, writeReports, type ReportWriter, type WriteReportsOptions, type WrittenReports } from './write.ts';
export { compareToBaseline, describeComparison, type BaselineComparison, type VerdictChange } from './baseline.ts';
export { mergeReports } from './merge.ts';
export { HTML_FILE, matrixHtml, reportHtml } from './html.ts';
