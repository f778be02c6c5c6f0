import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'

/** Debian's chromium, as CI installs it (`need chromium` in .ci/run). */
export const CHROMIUM = '/usr/bin/chromium'

/** Why a browser test cannot run here, or undefined when it can. */
export const chromiumMissing = () =>
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (Debian package chromium)`

/** The one address the page is served from: every other request is refused and counted. */
const PAGE_URL = 'http://report.invalid/report.html'

export interface OpenedPage {
  page: import('playwright-core').Page
  /** Every request the page made, the page itself first. */
  requests: string[]
  /** Console errors and uncaught page errors. */
  errors: string[]
  close(): Promise<void>
}

/**
 * Opens an HTML file in headless chromium with the network cut off: the file is served for one
 * address, and any other request the page makes is aborted and recorded.
 */
export async function openOffline(file: string): Promise<OpenedPage> {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM })
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const requests: string[] = []
    const errors: string[] = []
    await context.route('**/*', (route) => {
      const url = route.request().url()
      requests.push(url)
      if (url === PAGE_URL)
        return route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          body: readFileSync(file),
        })
      return route.abort('blockedbyclient')
    })
    const page = await context.newPage()
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(PAGE_URL, { waitUntil: 'load' })
    return { page, requests, errors, close: () => browser.close() }
  } catch (error) {
    await browser.close()
    throw error
  }
}

/**
 * Runs `check` on the HTML file opened offline, then asserts what every report page must hold: no
 * console error, and no request but the page itself.
 */
export async function checkOffline(
  file: string,
  check: (page: import('playwright-core').Page) => Promise<void>,
): Promise<void> {
  const opened = await openOffline(file)
  try {
    await check(opened.page)
    assert.deepEqual(opened.errors, [], 'console errors')
    assert.deepEqual(opened.requests, [PAGE_URL], 'requests the page made')
  } finally {
    await opened.close()
  }
}
