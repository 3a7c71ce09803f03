// GOV.UK Frontend's components (error summary focus, service navigation menu, ...).
import { initAll } from './vendor/govuk-frontend-6.3.0/govuk-frontend.min.js'
initAll()
