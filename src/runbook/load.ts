import { createHash } from 'node:crypto'
import { isAbsolute, relative, resolve } from 'node:path'
import type { StepDefinition } from '../steps/contract.js'
import { stepTypes as registeredStepTypes } from '../steps/index.js'
import { type Diagnostic, Diagnostics } from './diagnostics.js'
import { parseDuration } from './duration.js'
import { hasExpression } from './expressions.js'
import { checkGraph, needsList, type StepIndex } from './graph.js'
import { BUILTIN_DEFAULTS, type ParamValue, type Phase, type RetryPolicy, type Runbook } from './model.js'
import { checkParamDeclarations, missingRequired, resolveParams } from './params.js'
import { checkExpressions } from './references.js'
import { type RunbookDocument, RunbookSpec, type StepDocument } from './schema.js'
import { checkShellCommands } from './shell-checks.js'
import { didYouMean } from './suggest.js'
import { parseYaml, readSourceFile, type YamlValue } from './yaml-source.js'
import { describeValue, reportIssues, valueAt } from './zod-issues.js'

export interface LoadOptions {
  /** The runbook's path as the operator typed it. */
  file: string
  /** `--param NAME=VALUE` flags, as given. */
  paramFlags?: readonly string[]
  /** `--params FILE`, as given. */
  paramsFile?: string
  /** Report required params that have no value (run, plan); validate without params does not. */
  requireParams?: boolean
  stepTypes?: ReadonlyMap<string, StepDefinition>
}

export interface LoadResult {
  /** Present only when there is no error. */
  runbook: Runbook | undefined
  diagnostics: Diagnostic[]
  /** Required params with no value yet (only when requireParams is off). */
  missingParams: string[]
}

/** File -> parsed YAML -> schema -> step params -> graph -> expressions -> params. Every problem at once. */
export function loadRunbook(options: LoadOptions): LoadResult {
  const diags = new Diagnostics()
  const fail = (): LoadResult => ({ runbook: undefined, diagnostics: diags.sorted(), missingParams: [] })
  const stepTypes = options.stepTypes ?? registeredStepTypes

  const source = readSourceFile(options.file, displayPath(options.file), diags)
  if (!source) return fail()
  const doc = parseYaml(source, diags)
  if (!doc) return fail()
  if (doc.value === null || doc.value === undefined) {
    diags.error(
      source,
      0,
      'runbook is empty',
      'a runbook is a mapping with at least version, name and phases',
    )
    return fail()
  }
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    diags.error(
      source,
      doc.offsetOf([]),
      `a runbook is a mapping with version, name and phases, not ${describeValue(doc.value)}`,
    )
    return fail()
  }

  // Top-level `x-` keys hold YAML anchors for reuse (as in Compose files); they are not runbook fields.
  const withoutExtensions = Object.fromEntries(
    Object.entries(doc.value).filter(([key]) => !key.startsWith('x-')),
  )
  const parsed = RunbookSpec.safeParse(withoutExtensions)
  if (!parsed.success) reportIssues(parsed.error.issues, RunbookSpec, doc, diags)
  // On schema errors the later checks still run on what is well-formed, so one pass shows everything.
  const document = parsed.success ? parsed.data : skeleton(doc.value)

  checkStepParams(document, doc, stepTypes, diags)
  const index = checkGraph(document, doc, diags)
  checkStepReferences(document, doc, stepTypes, index, diags)
  checkExpressions(document, index, doc, diags)
  checkShellCommands(document, doc, stepTypes, diags)
  checkParamDeclarations(document, doc, diags)

  let paramsFile: YamlValue | undefined
  if (options.paramsFile !== undefined) {
    const paramsSource = readSourceFile(options.paramsFile, displayPath(options.paramsFile), diags)
    paramsFile = paramsSource ? parseYaml(paramsSource, diags) : undefined
  }
  const given = options.paramFlags?.length || options.paramsFile !== undefined
  const requireAll = options.requireParams ?? Boolean(given)
  const paramValues = resolveParams(
    document,
    doc,
    { flags: options.paramFlags ?? [], ...(paramsFile ? { file: paramsFile } : {}) },
    requireAll,
    diags,
  )

  if (diags.hasErrors || !parsed.success) return fail()
  return {
    runbook: buildRunbook(parsed.data, index, paramValues, options.file, source.text),
    diagnostics: diags.sorted(),
    missingParams: requireAll ? [] : missingRequired(document, paramValues),
  }
}

function checkStepParams(
  document: RunbookDocument,
  doc: YamlValue,
  stepTypes: ReadonlyMap<string, StepDefinition>,
  diags: Diagnostics,
): void {
  document.phases.forEach((phase, p) => {
    phase.steps.forEach((step, s) => {
      const path = ['phases', p, 'steps', s]
      if (typeof step.uses !== 'string') return
      const definition = stepTypes.get(step.uses)
      if (!definition) {
        diags.error(
          doc.source,
          doc.offsetOf([...path, 'uses']),
          `unknown step type '${step.uses}'`,
          didYouMean(step.uses, stepTypes.keys()) ?? `step types: ${[...stepTypes.keys()].join(', ')}`,
        )
        return
      }
      const params = step.with ?? {}
      const result = definition.params.safeParse(params)
      if (result.success) return
      // A field written as an expression is checked again once it has a value, at run time.
      const issues = result.error.issues.filter((issue) => {
        const value = valueAt(params, issue.path as Array<string | number>)
        return !(typeof value === 'string' && hasExpression(value))
      })
      if (step.with === undefined && issues.length > 0) {
        diags.error(
          doc.source,
          doc.offsetOf([...path, 'uses']),
          `step type '${step.uses}' needs a with: block`,
        )
        return
      }
      reportIssues(issues, definition.params, doc, diags, [...path, 'with'])
    })
  })
}

/** Step ids named inside `with` (wait's `until`) must name steps, as `needs` must. */
function checkStepReferences(
  document: RunbookDocument,
  doc: YamlValue,
  stepTypes: ReadonlyMap<string, StepDefinition>,
  index: StepIndex,
  diags: Diagnostics,
): void {
  document.phases.forEach((phase, p) => {
    phase.steps.forEach((step, s) => {
      const definition = typeof step.uses === 'string' ? stepTypes.get(step.uses) : undefined
      if (!definition?.references && !definition?.targets) return
      const parsed = definition.params.safeParse(step.with ?? {})
      if (!parsed.success) return
      const at = (key: string) => doc.offsetOf(['phases', p, 'steps', s, 'with', ...key.split('.')])
      for (const { key, step: named } of definition.references?.(parsed.data) ?? []) {
        if (hasExpression(named) || index.phaseOf.has(named)) continue
        diags.error(
          doc.source,
          at(key),
          `${key}: no step has the id '${named}'`,
          didYouMean(named, index.phaseOf.keys()),
        )
      }
      const targets = document.targets ?? {}
      for (const { key, target: named, kind } of definition.targets?.(parsed.data) ?? []) {
        if (hasExpression(named)) continue
        const target = targets[named]
        if (target === undefined)
          diags.error(
            doc.source,
            at(key),
            `${key}: no target is named '${named}'`,
            didYouMean(named, Object.keys(targets)),
          )
        else if (target[kind] === undefined)
          diags.error(
            doc.source,
            at(key),
            `${key}: target '${named}' is not a ${kind} target`,
            `${step.uses} needs a target declared with ${kind}: { ... }`,
          )
      }
    })
  })
}

/** The well-formed parts of a document that failed the schema, enough for graph and expression checks. */
function skeleton(value: object): RunbookDocument {
  const record = (v: unknown): Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
  const root = record(value)
  const phases = list(root.phases).map((raw) => {
    const phase = record(raw)
    return {
      id: typeof phase.id === 'string' ? phase.id : '',
      steps: list(phase.steps).map((rawStep) => {
        const step = record(rawStep)
        const needs = Array.isArray(step.needs) ? step.needs.filter((n) => typeof n === 'string') : step.needs
        return {
          id: typeof step.id === 'string' ? step.id : '',
          uses: step.uses,
          with: record(step.with),
          needs: typeof needs === 'string' || Array.isArray(needs) ? needs : undefined,
          if: typeof step.if === 'string' ? step.if : undefined,
        }
      }),
    }
  })
  const mapOf = (v: unknown) =>
    Object.fromEntries(Object.entries(record(v)).map(([k, item]) => [k, record(item)]))
  return {
    version: 1,
    name: '',
    params: mapOf(root.params),
    secrets: mapOf(root.secrets),
    targets: mapOf(root.targets),
    phases,
  } as unknown as RunbookDocument
}

function buildRunbook(
  document: RunbookDocument,
  index: StepIndex,
  paramValues: Record<string, ParamValue>,
  file: string,
  text: string,
): Runbook {
  const defaults = document.defaults ?? {}
  const retryOf = (step: StepDocument): RetryPolicy => {
    const retry = { ...BUILTIN_DEFAULTS.retry, ...defaults.retry, ...step.retry }
    return {
      attempts: retry.attempts,
      backoffMs: parseDuration(retry.backoff),
      maxBackoffMs: parseDuration(retry.max_backoff),
    }
  }
  const phases: Phase[] = document.phases.map((phase) => ({
    id: phase.id,
    name: phase.name,
    description: phase.description,
    approval: phase.approval === 'required',
    pointOfNoReturn: phase.point_of_no_return === true,
    onFailure: phase.on_failure ?? document.on_failure ?? BUILTIN_DEFAULTS.onFailure,
    concurrency: phase.concurrency ?? document.concurrency ?? BUILTIN_DEFAULTS.concurrency,
    steps: phase.steps.map((step) => ({
      id: step.id,
      phase: phase.id,
      name: step.name,
      uses: step.uses,
      with: step.with ?? {},
      needs: index.needsOf.get(step.id) ?? needsList(step.needs),
      if: step.if,
      timeoutMs: parseDuration(step.timeout ?? defaults.timeout ?? BUILTIN_DEFAULTS.timeout),
      retry: retryOf(step),
      continueOnError: step.continue_on_error ?? defaults.continue_on_error ?? false,
    })),
  }))
  return {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    name: document.name,
    description: document.description,
    params: document.params ?? {},
    secrets: document.secrets ?? {},
    // A switch written as `${{ }}` is a string until the run resolves it; Target describes resolved values.
    targets: (document.targets ?? {}) as Runbook['targets'],
    onFailure: document.on_failure ?? BUILTIN_DEFAULTS.onFailure,
    ...(document.notify ? { notify: document.notify } : {}),
    phases,
    paramValues,
  }
}

/** Paths in messages as the operator would type them: relative to where they stand. */
function displayPath(file: string): string {
  if (!isAbsolute(file)) return file
  const rel = relative(process.cwd(), resolve(file))
  return rel.startsWith('..') ? file : rel
}
