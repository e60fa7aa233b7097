/**
 * Applications installed into the mock instance (`--install <zip>`, `POST /mock/install`): their
 * UI pages at `/<endpoint>`, rendered from their Jelly for a logged-in user (a visitor without a
 * session is sent to log in, as an instance does), and their UX assets at
 * `/uxasset/externals/<scope>/<name>.jsdbx`, as JavaScript modules.
 */
import express, { Request, Response, Router } from 'express';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { AppPackage, readAppPackage, UiPageRecord, UxAsset } from './app-package';
import type { Database } from '../data/database';
import { JellyError, renderJelly } from '../glide/jelly';
import { escapeMarkup, NO_CACHE_HEADERS } from '../http/responses';
import type { Session } from '../session/sessions';

/** What an install reports. */
export interface InstallReport {
  readonly scope: string | null;
  readonly pages: readonly string[];
  readonly assets: readonly string[];
  readonly themeAssetsNotServed: readonly string[];
  readonly ignored: Readonly<Record<string, number>>;
}

/**
 * The package to install from `path`: the zip itself, or a ServiceNow SDK project's folder, whose
 * `now-sdk pack` wrote it to `target/` (the newest zip there, when several versions are).
 */
export function packageFile(path: string): string {
  if (!statSync(path).isDirectory()) {
    return path;
  }
  const target = join(path, 'target');
  const zips = (
    statSync(target, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(target) : []
  )
    .filter((name) => name.endsWith('.zip'))
    .map((name) => join(target, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (zips.length === 0) {
    throw new Error(
      `no package in ${target}: ${path} is a folder, so it should be a ServiceNow SDK project that ` +
        'now-sdk pack has packed (npm run build:instance does)',
    );
  }
  return zips[0];
}

/** Reads the package at `path` (a zip, or an SDK project's folder: see {@link packageFile}). */
export function readPackageFile(path: string): Uint8Array {
  return readFileSync(packageFile(path));
}

export class InstalledApps {
  private readonly pageRecords = new Map<string, UiPageRecord>();
  private readonly assets = new Map<string, UxAsset>();
  /** When the mock started: what `UxFrameworkScriptables.getFlushTimestamp()` answers. */
  readonly flushTimestamp = Date.now();

  /** Installs (or upgrades) a package; throws a `PackageError` for one it cannot read. */
  install(zip: Uint8Array): InstallReport {
    const app: AppPackage = readAppPackage(zip);
    for (const page of app.pages) {
      this.pageRecords.set(page.endpoint, page);
    }
    for (const asset of app.assets) {
      this.assets.set(asset.name, asset);
    }
    return {
      scope: app.scope,
      pages: app.pages.map((p) => `/${p.endpoint}`),
      assets: app.assets.map((a) => `/uxasset/externals/${a.name}.jsdbx`),
      themeAssetsNotServed: app.themeAssets,
      ignored: app.ignored,
    };
  }

  /** The endpoints of the installed UI pages. */
  pages(): string[] {
    return [...this.pageRecords.keys()];
  }

  page(endpoint: string): UiPageRecord | undefined {
    return this.pageRecords.get(endpoint);
  }

  asset(name: string): UxAsset | undefined {
    return this.assets.get(name);
  }
}

export interface InstalledAppsDeps {
  readonly apps: InstalledApps;
  readonly db: Database;
  readonly sessionOf: (req: Request) => Session | null;
}

export function installedAppsRouter({ apps, db, sessionOf }: InstalledAppsDeps): Router {
  const router = express.Router();

  router.get(/^\/uxasset\/externals\/(.+)\.jsdbx$/, (req: Request, res: Response, next) => {
    const asset = apps.asset(String((req.params as Record<string, string>)[0]));
    if (!asset) {
      next();
      return;
    }
    // Only the types an SDK package has (checked at install), and never sniffed into another.
    res
      .set('Content-Type', `${asset.mimeType};charset=UTF-8`)
      .set('X-Content-Type-Options', 'nosniff')
      .send(asset.content);
  });

  router.get(/^\/([A-Za-z0-9_]+\.do)$/, (req: Request, res: Response, next) => {
    const page = apps.page(String((req.params as Record<string, string>)[0]));
    if (!page) {
      next();
      return;
    }
    const session = sessionOf(req);
    if (!session) {
      res.redirect(302, `/login.do?sysparm_goto=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    const user = db.findUser(session.userName);
    let body: string;
    try {
      body = renderJelly(page.html, {
        sessionToken: session.token,
        userName: session.userName,
        userSysId: session.userSysId,
        userDisplayName: user?.['name'] ?? session.userName,
        flushTimestamp: apps.flushTimestamp,
      });
    } catch (error) {
      if (!(error instanceof JellyError)) {
        throw error;
      }
      res
        .status(500)
        .set(NO_CACHE_HEADERS)
        .type('html')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cannot render ${page.endpoint}</title></head>` +
            `<body><h1>This mock instance cannot render ${page.endpoint}</h1><p>${escapeMarkup(error.message)}.</p>` +
            '<p>It renders the Jelly front-end apps use; see the README of the mock instance.</p></body></html>',
        );
      return;
    }
    res
      .set(NO_CACHE_HEADERS)
      .type('html')
      .send(
        page.direct
          ? body
          : `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`,
      );
  });
  return router;
}
