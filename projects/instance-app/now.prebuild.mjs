/**
 * Runs inside `now-sdk build`, before it reads the static content: puts the Angular build of the
 * demo (`ng build demo --configuration instance`, done by `npm run build:instance`) where the SDK
 * turns files into UX assets. Each `.js` becomes a `sys_ux_lib_asset` served as an ES module at
 * `/uxasset/externals/<scope>/<name>.jsdbx`:
 * - `main.js`, with the imports of its lazy chunks pointed at their `.jsdbx` URLs;
 * - every `chunk-*.js` the build split off (none today; lazy routes would add them);
 * - `styles.js`: the global styles as a module that adds them to the page, the way the SDK's own
 *   front-end builds ship CSS (imported by the code) rather than as a separate theme asset.
 * And it brings the library's `login-complete.html` into the project (`src/fluent/`, not kept in
 * git), where the login-complete UI page includes it.
 */
const ANGULAR_OUTPUT = '../../dist/demo-instance/browser';
/** The library's login-complete page, as its package ships it (the SDK includes only files of the project). */
const LOGIN_COMPLETE = '../ngx-user-token/login-complete.html';

export default async ({ rootDir, config, fs, path, logger }) => {
  const source = path.join(rootDir, ANGULAR_OUTPUT);
  const out = path.join(rootDir, config.staticContent.buildDir);
  if (!fs.existsSync(path.join(source, 'main.js'))) {
    throw new Error(
      `no Angular build at ${source}: run "ng build demo --configuration instance" first ` +
        '(npm run build:instance does both)',
    );
  }
  fs.copyFileSync(
    path.join(rootDir, LOGIN_COMPLETE),
    path.join(rootDir, 'src/fluent/login-complete.html'),
  );
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const toDbx = (code) => code.replace(/(["'])\.\/(chunk-[A-Za-z0-9_-]+)\.js\1/g, '$1./$2.jsdbx$1');
  for (const name of fs.readdirSync(source)) {
    if (name === 'main.js' || /^chunk-[A-Za-z0-9_-]+\.js$/.test(name)) {
      fs.writeFileSync(
        path.join(out, name),
        toDbx(fs.readFileSync(path.join(source, name), 'utf8')),
      );
      logger.info(`UX asset ${config.scope}/${name.replace(/\.js$/, '')} from ${name}`);
    }
  }
  const css = fs.readFileSync(path.join(source, 'styles.css'), 'utf8');
  fs.writeFileSync(
    path.join(out, 'styles.js'),
    `const style = document.createElement('style');\nstyle.textContent = ${JSON.stringify(css)};\ndocument.head.append(style);\n`,
  );
  logger.info(`UX asset ${config.scope}/styles from styles.css`);
};
