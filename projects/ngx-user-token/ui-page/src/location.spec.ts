// An Angular app on a ServiceNow UI page (`/x_acme_app.do`): its routes in the page's query string,
// with the real Router, as `ng new` sets an app up, over Angular's test platform location (a fake
// browser history, started at the page's address).
import { Location, LocationStrategy, PlatformLocation } from '@angular/common';
import { MOCK_PLATFORM_LOCATION_CONFIG } from '@angular/common/testing';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { NavigationEnd, provideRouter, Router, RouterOutlet, Routes } from '@angular/router';
import { provideUiPageLocation, UiPageLocationStrategy } from 'ngx-user-token/ui-page';
import { filter, firstValueFrom } from 'rxjs';

@Component({ selector: 'app-home', template: 'home' })
class Home {}

@Component({ selector: 'app-incidents', template: 'incidents' })
class Incidents {}

@Component({ selector: 'app-incident', template: 'incident' })
class Incident {}

@Component({ selector: 'app-root', imports: [RouterOutlet], template: '<router-outlet />' })
class App {}

const routes: Routes = [
  { path: '', component: Home },
  { path: 'incidents', component: Incidents },
  { path: 'incidents/:id', component: Incident },
];

/** The browser's history, started at `address` (the page and its query). */
const startingAt = (address: string) => ({
  provide: MOCK_PLATFORM_LOCATION_CONFIG,
  useValue: { startUrl: `https://instance.example.com${address}` },
});

/** Opens the app at `address`, as a browser loading it would. */
async function openAt(address: string) {
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideRouter(routes),
      provideUiPageLocation(),
      startingAt(address),
    ],
  });
  const fixture = TestBed.createComponent(App);
  const router = TestBed.inject(Router);
  router.initialNavigation();
  await firstValueFrom(router.events.pipe(filter((e) => e instanceof NavigationEnd)));
  await fixture.whenStable();
  return { fixture, router, location: TestBed.inject(Location) };
}

const address = () => {
  const platform = TestBed.inject(PlatformLocation);
  return platform.pathname + platform.search;
};
const nextNavigation = (router: Router) =>
  firstValueFrom(router.events.pipe(filter((e) => e instanceof NavigationEnd)));

describe('provideUiPageLocation', () => {
  it('maps a route to the page’s query string and back, slashes kept readable', () => {
    TestBed.configureTestingModule({
      providers: [provideUiPageLocation(), startingAt('/x_acme_app.do')],
    });
    const strategy = TestBed.inject(LocationStrategy);
    expect(strategy).toBeInstanceOf(UiPageLocationStrategy);
    expect(strategy.prepareExternalUrl('/')).toBe('/x_acme_app.do');
    expect(strategy.prepareExternalUrl('/incidents/42?tab=notes')).toBe(
      '/x_acme_app.do?view=incidents/42&tab=notes',
    );
    expect(strategy.prepareExternalUrl('/a b/ü?q=x&y#top')).toBe(
      '/x_acme_app.do?view=a%20b/%C3%BC&q=x&y=#top',
    );
    expect(strategy.path()).toBe('/');
    const platform = TestBed.inject(PlatformLocation);
    platform.replaceState(null, '', '/x_acme_app.do?tab=notes&view=incidents/42');
    expect(strategy.path()).toBe('/incidents/42?tab=notes');
  });

  it('lands a deep link (or a reload) on its view, and the page’s path never changes', async () => {
    const { fixture } = await openAt('/x_acme_app.do?view=incidents/42');
    expect(fixture.nativeElement.textContent).toContain('incident');
    expect(fixture.nativeElement.textContent).not.toContain('incidents');
    expect(address()).toBe('/x_acme_app.do?view=incidents/42');
  });

  it('puts each navigation in the query string, and the back button steps through the views', async () => {
    const { fixture, router } = await openAt('/x_acme_app.do');
    expect(fixture.nativeElement.textContent).toContain('home');

    await router.navigateByUrl('/incidents?active=true');
    expect(address()).toBe('/x_acme_app.do?view=incidents&active=true');
    await router.navigateByUrl('/incidents/7');
    expect(address()).toBe('/x_acme_app.do?view=incidents/7');
    await fixture.whenStable();
    expect(fixture.nativeElement.textContent).toContain('incident');

    const back = nextNavigation(router);
    TestBed.inject(Location).back();
    await back;
    await fixture.whenStable();
    expect(address()).toBe('/x_acme_app.do?view=incidents&active=true');
    expect(router.url).toBe('/incidents?active=true');
    expect(fixture.nativeElement.textContent).toContain('incidents');
  });

  it('is what the page needs: without it the default strategy takes the page for a route', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideRouter(routes),
        startingAt('/x_acme_app.do?view=incidents/42'),
      ],
    });
    const path = TestBed.inject(Location).path();
    expect(path).toBe('/x_acme_app.do?view=incidents/42');
    await expect(TestBed.inject(Router).navigateByUrl(path)).rejects.toThrow(/NG04002/);
  });

  it('refuses a parameter name that is not plain, in development', () => {
    expect(() => provideUiPageLocation({ param: 'a=b' })).toThrow(/plain query parameter name/);
  });
});
