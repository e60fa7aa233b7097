/**
 * Runs inside `now-sdk build`, before the SDK reads the static content: turns the Angular build of
 * demo (`ng build demo --configuration instance`, which
 * `npm run build:instance` runs first) into the package's UX assets. Each `.js` in the static
 * content becomes a `sys_ux_lib_asset`, served as an ES module at
 * `/uxasset/externals/x_ngxut_demo/<name>.jsdbx`:
 * - `main.js`, its imports of lazy chunks pointed at their `.jsdbx` URLs;
 * - every `chunk-*.js` the build split off (lazy routes, deferred blocks);
 * - `styles.js`: the global styles as a module that adds them to the page (the SDK ships CSS as
 *   code that imports it, not as a separate theme asset).
 * Chunk names carry a hash of their content, so a new build never meets an old chunk in a
 * browser's cache; the page loads `main` and `styles` with a cache buster instead.
 * Nothing else of the build goes in: the page's HTML is `src/fluent/page.html` (not the build's
 * `index.html`), and what the app's `public/` folder adds (favicon, images, fonts) is listed as
 * not packaged (the SDK would make images `db_image` records; the URL an instance serves those at
 * is unverified here). It also copies ngx-user-token's login-complete page into `src/fluent/`
 * (the SDK includes only files of this project), so the page is the one of the library version
 * the app runs.
 *
 * Written by `ng generate ngx-user-token:instance-app`.
 */
const ANGULAR_OUTPUT = '../../dist/demo-instance/browser';
const LOGIN_COMPLETE = '../ngx-user-token/login-complete.html';

export default async ({ rootDir, config, fs, path, logger }) => {
  const source = path.join(rootDir, ANGULAR_OUTPUT);
  const out = path.join(rootDir, config.staticContent.buildDir);
  if (!fs.existsSync(path.join(source, 'main.js'))) {
    throw new Error(
      `no Angular build at ${source}: run "ng build demo --configuration instance" ` +
        'first (npm run build:instance does both)',
    );
  }
  const loginComplete = path.join(rootDir, LOGIN_COMPLETE);
  if (!fs.existsSync(loginComplete)) {
    throw new Error(`no ${loginComplete}: is ngx-user-token installed?`);
  }
  fs.copyFileSync(loginComplete, path.join(rootDir, 'src/fluent/login-complete.html'));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const toDbx = (code) => code.replace(/(["'])\.\/(chunk-[A-Za-z0-9_-]+)\.js\1/g, '$1./$2.jsdbx$1');
  const left = [];
  for (const name of fs.readdirSync(source)) {
    if (name === 'main.js' || /^chunk-[A-Za-z0-9_-]+\.js$/.test(name)) {
      fs.writeFileSync(
        path.join(out, name),
        toDbx(fs.readFileSync(path.join(source, name), 'utf8')),
      );
      logger.info(`UX asset ${config.scope}/${name.replace(/\.js$/, '')} from ${name}`);
    } else if (!['index.html', 'styles.css', '3rdpartylicenses.txt'].includes(name)) {
      left.push(name);
    }
  }
  if (left.length > 0) {
    logger.warn(`not packaged (only JavaScript and CSS become UX assets): ${left.join(', ')}`);
  }
  const stylesheet = path.join(source, 'styles.css');
  const css = fs.existsSync(stylesheet) ? fs.readFileSync(stylesheet, 'utf8') : '';
  fs.writeFileSync(
    path.join(out, 'styles.js'),
    `const style = document.createElement('style');\nstyle.textContent = ${JSON.stringify(css)};\ndocument.head.append(style);\n`,
  );
  logger.info(`UX asset ${config.scope}/styles from ${css ? 'styles.css' : 'no styles'}`);
};
