import type { Diagnostics } from './diagnostics.js'
import {
  CONTEXTS,
  type Expr,
  ExpressionError,
  FUNCTIONS,
  hasExpression,
  parseExpression,
  parseTemplate,
} from './expressions.js'
import { isUpstream, type StepIndex } from './graph.js'
import type { RunbookDocument } from './schema.js'
import { didYouMean } from './suggest.js'
import type { Path, YamlValue } from './yaml-source.js'

const RUN_FIELDS = ['id', 'operator', 'dryRun']
const TARGET_FIELDS = ['hosts', 'instances', 'sql', 'ldap', 'description']
const STEP_FIELDS = ['outputs']

/** What an expression at one place may refer to. */
interface Scope {
  runbook: RunbookDocument
  index: StepIndex
  /** `phase.step` for messages; undefined outside steps (targets), where `steps` is not available. */
  step: { id: string; label: string } | undefined
}

interface Place {
  doc: YamlValue
  diags: Diagnostics
  path: Path
  /** The string as YAML gave it; offsets inside it are mapped back to the file. */
  text: string
}

/** Parses and checks every expression: in targets, in each step's `with` and `if`. */
export function checkExpressions(
  runbook: RunbookDocument,
  index: StepIndex,
  doc: YamlValue,
  diags: Diagnostics,
): void {
  for (const [name, target] of Object.entries(runbook.targets ?? {})) {
    forEachString(target, ['targets', name], (text, path) =>
      checkTemplate({ doc, diags, path, text }, { runbook, index, step: undefined }),
    )
  }
  runbook.phases.forEach((phase, p) => {
    phase.steps.forEach((step, s) => {
      if (index.phaseOf.get(step.id) !== phase.id) return
      const scope: Scope = { runbook, index, step: { id: step.id, label: `${phase.id}.${step.id}` } }
      const base = ['phases', p, 'steps', s]
      forEachString(step.with ?? {}, [...base, 'with'], (text, path) =>
        checkTemplate({ doc, diags, path, text }, scope),
      )
      if (typeof step.if === 'string')
        checkCondition({ doc, diags, path: [...base, 'if'], text: step.if }, scope)
    })
  })
}

/** An `if:` is one expression, written bare or inside `${{ }}`. */
function checkCondition(place: Place, scope: Scope): void {
  const text = place.text
  if (hasExpression(text)) {
    const trimmed = text.trim()
    if (!(trimmed.startsWith('${{') && trimmed.endsWith('}}') && trimmed.indexOf('${{', 3) === -1)) {
      report(
        place,
        text.indexOf('${{'),
        'an if: condition is one expression, not text with expressions in it',
      )
      return
    }
  }
  checkTemplate(hasExpression(text) ? place : { ...place, text }, scope, !hasExpression(text))
}

function checkTemplate(place: Place, scope: Scope, bare = false): void {
  if (!bare && !hasExpression(place.text)) return
  try {
    if (bare) checkExpr(parseExpression(place.text), 0, place, scope)
    else
      for (const part of parseTemplate(place.text))
        if ('expr' in part) checkExpr(part.expr, part.offset, place, scope)
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error
    report(place, error.offset, `expression: ${error.message}`, error.hint)
  }
}

function checkExpr(expr: Expr, base: number, place: Place, scope: Scope): void {
  switch (expr.kind) {
    case 'literal':
      return
    case 'not':
      return checkExpr(expr.operand, base, place, scope)
    case 'binary':
      checkExpr(expr.left, base, place, scope)
      return checkExpr(expr.right, base, place, scope)
    case 'call': {
      // Own names only: `constructor()` or `toString()` are not functions of the language.
      const fn = Object.hasOwn(FUNCTIONS, expr.name) ? FUNCTIONS[expr.name] : undefined
      if (!fn)
        return report(
          place,
          base + expr.offset,
          `unknown function '${expr.name}'`,
          didYouMean(expr.name, Object.keys(FUNCTIONS)) ?? `functions: ${Object.keys(FUNCTIONS).join(', ')}`,
        )
      if (expr.args.length < fn.minArgs || expr.args.length > fn.maxArgs) {
        const wanted = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`
        report(place, base + expr.offset, `${expr.name}() takes ${wanted} arguments, not ${expr.args.length}`)
      }
      for (const arg of expr.args) checkExpr(arg, base, place, scope)
      return
    }
    case 'path':
      for (const segment of expr.segments)
        if (typeof segment !== 'string') checkExpr(segment, base, place, scope)
      return checkPath(expr, base, place, scope)
  }
}

function checkPath(expr: Extract<Expr, { kind: 'path' }>, base: number, place: Place, scope: Scope): void {
  const at = base + expr.offset
  const [first, second] = expr.segments
  const name = typeof first === 'string' ? first : undefined
  const { runbook } = scope
  switch (expr.root) {
    case 'params':
      return checkDeclared('param', name, Object.keys(runbook.params ?? {}), place, at)
    case 'secrets':
      return checkDeclared('secret', name, Object.keys(runbook.secrets ?? {}), place, at)
    case 'targets':
      checkDeclared('target', name, Object.keys(runbook.targets ?? {}), place, at)
      if (typeof second === 'string' && !TARGET_FIELDS.includes(second))
        report(
          place,
          at,
          `targets.${name}.${second}: a target has ${TARGET_FIELDS.join(', ')}`,
          didYouMean(second, TARGET_FIELDS),
        )
      return
    case 'run':
      if (name !== undefined && !RUN_FIELDS.includes(name))
        report(
          place,
          at,
          `run.${name} does not exist (run has ${RUN_FIELDS.join(', ')})`,
          didYouMean(name, RUN_FIELDS),
        )
      return
    case 'env':
      return
    case 'steps':
      return checkStepRef(name, second, place, at, scope)
    default:
      report(
        place,
        at,
        `unknown name '${expr.root}'`,
        didYouMean(expr.root, CONTEXTS) ??
          `expressions read ${CONTEXTS.join(', ')}; strings are quoted: '${expr.root}'`,
      )
  }
}

function checkStepRef(
  name: string | undefined,
  field: unknown,
  place: Place,
  at: number,
  scope: Scope,
): void {
  if (!scope.step) {
    report(place, at, 'steps are not available here: targets are resolved before any step runs')
    return
  }
  if (name === undefined) return
  const { index } = scope
  if (!index.phaseOf.has(name)) {
    report(place, at, `steps.${name}: no step has that id`, didYouMean(name, index.phaseOf.keys()))
    return
  }
  if (name === scope.step.id) {
    report(place, at, `steps.${name} is the step itself; a step reads the outputs of steps before it`)
    return
  }
  if (!isUpstream(name, scope.step.id, index)) {
    const same = index.phaseOf.get(name) === index.phaseOf.get(scope.step.id)
    report(
      place,
      at,
      `steps.${name} is not upstream of ${scope.step.label}`,
      same
        ? `add '${name}' to the needs of '${scope.step.id}' so it runs first`
        : `'${name}' is in a later phase (${index.phaseOf.get(name)})`,
    )
    return
  }
  if (field !== undefined && (typeof field !== 'string' || !STEP_FIELDS.includes(field)))
    report(
      place,
      at,
      `steps.${name}.${String(field)}: use steps.${name}.outputs.<name>`,
      didYouMean(String(field), STEP_FIELDS),
    )
}

function checkDeclared(
  kind: string,
  name: string | undefined,
  declared: string[],
  place: Place,
  at: number,
): void {
  if (name === undefined || declared.includes(name)) return
  report(
    place,
    at,
    `${kind} '${name}' is not declared`,
    didYouMean(name, declared) ?? `declare it under ${kind}s: at the top of the runbook`,
  )
}

function report(place: Place, offsetInText: number, message: string, hint?: string): void {
  place.diags.error(place.doc.source, fileOffset(place, offsetInText), message, hint)
}

/** Maps an offset inside a YAML string value to the file, when the string is written literally. */
export function fileOffset(place: Pick<Place, 'doc' | 'path' | 'text'>, offsetInText: number): number {
  const start = place.doc.offsetOf(place.path)
  const source = place.doc.source.text
  const prefix = place.text.slice(0, offsetInText)
  const window = source.slice(start, start + place.text.length + 8)
  for (const quote of [0, 1]) if (window.startsWith(prefix, quote)) return start + quote + offsetInText
  return start
}

function forEachString(value: unknown, path: Path, visit: (text: string, path: Path) => void): void {
  if (typeof value === 'string') visit(value, path)
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) forEachString(item, [...path, i], visit)
  } else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) forEachString(item, [...path, key], visit)
}
