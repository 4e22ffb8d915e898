/**
 * The code archives the program hands to Pulumi, materialised on disk and zipped as Lambda would get
 * them. Used by the serialization tests and by `npm run bundle-report`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import type * as aws from '@pulumi/aws';
import { zipSync, type Zippable } from 'fflate';

const PROJECT_ROOT = path.join(__dirname, '..');

type Asset = { text?: Promise<string>; path?: Promise<string> };

const resolve = <T>(o: pulumi.Input<T>): Promise<T> => new Promise((res) => pulumi.output(o).apply((v) => res(v as T)));

const copyTree = (from: string, to: string) => {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) fs.copyFileSync(src, dst);
  }
};

/** Writes a function's archive (`__index.js` + the node_modules it ships) into `dir`; returns the file list. */
export const writeBundle = async (fn: aws.lambda.Function, dir: string): Promise<string[]> =>
  writeArchive((await resolve(fn.code)) as unknown as CodeArchive, dir);

/** A Pulumi AssetArchive as the program (or the mock monitor) hands it over. */
export type CodeArchive = { assets: Promise<Record<string, Asset>> | Record<string, Asset> };

/**
 * Writes an archive's assets into `dir`. FileArchive paths are relative to the project root. With `link`,
 * a folder the archive takes from the project (a package under node_modules) is linked rather than
 * copied: the same files, without copying megabytes per function at every local start.
 */
export const writeArchive = async (archive: CodeArchive, dir: string, { link = false } = {}): Promise<string[]> => {
  const assets = await archive.assets;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (const [name, asset] of Object.entries(assets)) {
    names.push(name);
    if (asset.text !== undefined) fs.writeFileSync(path.join(dir, name), await asset.text);
    else if (asset.path !== undefined) {
      // FileArchive paths are relative to the project root (where Pulumi runs the program).
      const src = path.resolve(PROJECT_ROOT, await asset.path);
      if (fs.statSync(src).isDirectory()) {
        if (link) {
          fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
          fs.symlinkSync(src, path.join(dir, name), 'dir');
        } else copyTree(src, path.join(dir, name));
      } else fs.copyFileSync(src, path.join(dir, name));
    }
  }
  return names.sort();
};

/** The zipped size of a directory, as a Lambda deployment package. */
export const zippedSize = (dir: string): number => {
  const tree: Zippable = {};
  const walk = (d: string, rel: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(p, r);
      else tree[r] = fs.readFileSync(p);
    }
  };
  walk(dir, '');
  return zipSync(tree, { level: 6 }).length;
};
