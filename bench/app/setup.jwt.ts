// For comparison: @auth0/angular-jwt set up for the same job (the page's token in a header, to
// the page's own host), as its README shows.
import { provideHttpClient, withFetch, withInterceptorsFromDi } from '@angular/common/http';
import { importProvidersFrom, provideZonelessChangeDetection } from '@angular/core';
import { JwtModule } from '@auth0/angular-jwt';

export const providers = [
  provideZonelessChangeDetection(),
  provideHttpClient(withFetch(), withInterceptorsFromDi()),
  importProvidersFrom(
    JwtModule.forRoot({
      config: {
        tokenGetter: () => (window as unknown as { g_ck?: string }).g_ck ?? null,
        allowedDomains: [location.host],
        headerName: 'X-UserToken',
        authScheme: '',
      },
    }),
  ),
];
