// Reads the objects named by `-f`: a file, a directory (its .yaml/.yml/.json files, in
// name order, as kubectl does), or `-` for standard input. YAML may hold many documents;
// a `kind: List` is expanded into its items.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as yaml from 'js-yaml';
import type { KubeObject } from '../api/index.js';

/** An object and where it came from, for messages: `error when creating "app.yaml"`. */
export interface SourcedObject {
  source: string;
  object: KubeObject;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Loads every object from the given -f arguments; throws naming the file and document on bad input. */
export function readManifests(paths: string[]): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(...parseDocuments(readFileSync(0, 'utf8'), 'STDIN'));
      continue;
    }
    let files: string[];
    try {
      files = statSync(path).isDirectory()
        ? readdirSync(path).filter((f) => MANIFEST_EXTENSIONS.has(extname(f))).sort().map((f) => join(path, f))
        : [path];
    } catch (err) {
      throw new Error(`the path "${path}" does not exist`, { cause: err });
    }
    for (const file of files) out.push(...parseDocuments(readFileSync(file, 'utf8'), file));
  }
  if (out.length === 0) throw new Error(`no objects passed to apply (nothing in ${paths.join(', ')})`);
  return out;
}

function parseDocuments(text: string, source: string): SourcedObject[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    throw new Error(`error parsing ${source}: ${(err as Error).message}`, { cause: err });
  }
  const out: SourcedObject[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error(`error parsing ${source}: document ${i + 1} is not an object`);
    }
    const object = doc as KubeObject;
    if (!object.apiVersion || !object.kind) {
      throw new Error(`error validating ${source}: document ${i + 1}: apiVersion and kind are required`);
    }
    if (object.kind === 'List' || object.kind.endsWith('List')) {
      for (const item of (object.items ?? []) as KubeObject[]) out.push({ source, object: item });
      return;
    }
    out.push({ source, object });
  });
  return out;
}
