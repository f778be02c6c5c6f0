// The drill matrix through the built CLI: every fault at the flagship's riskiest steps, each against a
// fresh demo platform; each drill must pass — the world after rollback as before — with its fault
// noticed (a kill is resumed instead) and traffic back on-prem. The table is printed for the CI log.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { tempDir } from './helpers/cli.ts'
import { MATRIX, type MatrixRow, matrixTable, runMatrixDrill } from './helpers/drill-matrix.ts'

const scratch = tempDir('drill-matrix')
const rows: MatrixRow[] = []
after(() => {
  if (rows.length > 0) console.log(`\n${matrixTable(rows)}\n`)
  scratch.cleanup()
})

describe('the drill matrix on the flagship', () => {
  for (const injection of MATRIX)
    test(`${injection}: the drill passes with an empty world diff`, async () => {
      const row = await runMatrixDrill(scratch.dir, injection)
      rows.push(row)
      const why = `${row.stderr.slice(-3000)}\n${JSON.stringify(row.report?.reasons)}`
      assert.equal(row.code, 0, why)
      assert.equal(row.report?.passed, true, why)
      assert.deepEqual(row.report?.world_diff, [])
      assert.equal(row.report?.rpo.lost_bytes, 0)
      assert.notEqual(row.report?.rto_ms, null, 'traffic is back on-prem')
      if (injection.startsWith('cli-killed'))
        assert.equal(row.report?.runOutcome, 'completed', 'resumed to the end')
      else assert.ok((row.report?.detection_ms ?? -1) > 0, `noticed: ${row.report?.detection_ms}`)
    })
})
