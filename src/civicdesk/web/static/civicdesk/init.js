// Start GOV.UK Frontend's components (character count, service navigation, ...).
// Loaded as a module from our own origin, so the Content-Security-Policy allows it.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
