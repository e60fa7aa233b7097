/*
 * ngx-user-token/ui-page: an Angular app as a ServiceNow UI page — its routes in the page's query
 * string, and its location told to the Next Experience frame.
 */
export { provideUiPageLocation, UiPageLocationStrategy } from './location';
export type { UiPageLocationOptions } from './location';
export { provideNextExperienceFrame } from './frame';
