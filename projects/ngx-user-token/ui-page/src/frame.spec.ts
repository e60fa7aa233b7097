// A UI page inside the Next Experience shell's iframe tells the shell each location of the app,
// as ServiceNow's SDK guide asks; outside a frame it tells no one.
import { MOCK_PLATFORM_LOCATION_CONFIG } from '@angular/common/testing';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { Location } from '@angular/common';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router, Routes } from '@angular/router';
import { provideNextExperienceFrame, provideUiPageLocation } from 'ngx-user-token/ui-page';

import { FRAMED_WINDOW, FramedWindow } from './frame';

@Component({ selector: 'app-view', template: '' })
class View {}

const routes: Routes = [
  { path: '', component: View, title: 'Incidents' },
  { path: 'incidents/:id', component: View, title: 'Incident' },
];

interface Permalink {
  name: string;
  detail: { relativePath: string; title: string };
}

/** Lets the timers the frame waits on run (the title is read after the navigation set it). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function setUp(window: FramedWindow) {
  TestBed.configureTestingModule({
    providers: [
      {
        provide: MOCK_PLATFORM_LOCATION_CONFIG,
        useValue: { startUrl: 'https://instance.example.com/x_acme_app.do' },
      },
      provideZonelessChangeDetection(),
      provideRouter(routes),
      provideUiPageLocation(),
      provideNextExperienceFrame(),
      { provide: FRAMED_WINDOW, useValue: window },
    ],
  });
  return TestBed.inject(Router);
}

/** A page framed by a shell: the page's own event bus records what it is told to fire. */
function framedPage(): { window: FramedWindow; fired: Permalink[] } {
  const fired: Permalink[] = [];
  const shell = {};
  const window = {
    self: {},
    top: shell,
    CustomEvent: {
      fireTop: (name: string, detail: Permalink['detail']) => fired.push({ name, detail }),
    },
  };
  return { window, fired };
}

describe('provideNextExperienceFrame', () => {
  it('sends the shell each location of the app, with the view’s title, and still pushes history', async () => {
    const { window, fired } = framedPage();
    const router = setUp(window);
    const pushed: string[] = [];
    TestBed.inject(Location).onUrlChange((url) => pushed.push(url));
    await router.navigateByUrl('/incidents/42');
    await settle();
    await router.navigateByUrl('/');
    await settle();
    expect(fired).toEqual([
      {
        name: 'magellanNavigator.permalink.set',
        detail: { relativePath: '/x_acme_app.do?view=incidents/42', title: 'Incident' },
      },
      {
        name: 'magellanNavigator.permalink.set',
        detail: { relativePath: '/x_acme_app.do', title: 'Incidents' },
      },
    ]);
    // Browser history too: the back button steps through the views.
    expect(pushed).toEqual(['/x_acme_app.do?view=incidents/42', '/x_acme_app.do']);
  });

  it('uses the shell’s event bus when the page has none', async () => {
    const fired: string[] = [];
    const shell = {
      CustomEvent: {
        fireTop: (_: string, d: { relativePath: string }) => fired.push(d.relativePath),
      },
    };
    const router = setUp({ self: {}, top: shell, CustomEvent: undefined });
    await router.navigateByUrl('/incidents/7');
    await settle();
    expect(fired).toEqual(['/x_acme_app.do?view=incidents/7']);
  });

  it('tells no one outside a frame', async () => {
    const { window, fired } = framedPage();
    const page = { ...window, self: window.top };
    const router = setUp(page);
    await router.navigateByUrl('/incidents/42');
    await settle();
    expect(fired).toEqual([]);
  });
});
