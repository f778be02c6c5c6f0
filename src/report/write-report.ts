import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Redactor } from '../engine/redaction.js'
import { reportSections, reportTitle } from './document.js'
import { renderHtml } from './html.js'
import { renderMarkdown } from './markdown.js'
import type { ReportModel } from './model.js'

export const REPORT_FILES = { markdown: 'report.md', html: 'report.html' } as const

/** Writes DIR/report.md and DIR/report.html; the redactor reads each once more before it is written. */
export function writeReport(
  model: ReportModel,
  redactor: Redactor,
  outDir: string,
): { markdown: string; html: string } {
  const title = reportTitle(model)
  const sections = reportSections(model)
  mkdirSync(outDir, { recursive: true })
  const markdown = join(outDir, REPORT_FILES.markdown)
  const html = join(outDir, REPORT_FILES.html)
  writeFileSync(markdown, redactor.text(renderMarkdown(title, sections)))
  writeFileSync(html, redactor.text(renderHtml(title, sections, model)))
  return { markdown, html }
}
