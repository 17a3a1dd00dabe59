/** What each route is for, in the OpenAPI description (/openapi.json); a test checks every route is here. */
export const ROUTE_DOCS: Record<string, { tag: string; summary: string }> = {
  'GET /health': { tag: 'operations', summary: 'Liveness and intake/broker counters (no token)' },
  'GET /metrics': { tag: 'operations', summary: 'Prometheus metrics (no token)' },
  'GET /api/v1/devices': { tag: 'devices', summary: 'All boxes: place, road file, availability, flags' },
  'GET /api/v1/devices/:id': { tag: 'devices', summary: 'One box' },
  'GET /api/v1/alarms': { tag: 'alarms', summary: 'Alarms, newest first, with their case (paginated by id: ?before=)' },
  'GET /api/v1/cases': { tag: 'cases', summary: 'Cases, newest first; ?open=true for those not closed' },
  'GET /api/v1/cases/:id': { tag: 'cases', summary: 'One case with its three responses, their history and deliveries' },
  'POST /api/v1/responses/:id/acknowledge': { tag: 'cases', summary: 'Acknowledge a response (role must match the response)' },
  'POST /api/v1/responses/:id/complete': { tag: 'cases', summary: 'Mark a response done, with the outcome (溯源劝诫 for village)' },
  'POST /api/v1/responses/:id/waive': { tag: 'cases', summary: 'Waive a response, with a reason' },
  'GET /api/v1/archive/lookup': { tag: 'archive', summary: 'Find a vehicle by plate, tolerant to one OCR confusion (personal data; logged)' },
  'POST /api/v1/archive/import': { tag: 'archive', summary: 'Import vehicles from CSV (text/csv); ?commit=true writes, otherwise only validates (admin)' },
  'GET /api/v1/evidence/:id': { tag: 'evidence', summary: 'An evidence manifest with links to its images (personal data; logged)' },
  'GET /api/v1/images/:sha256': { tag: 'evidence', summary: 'One evidence image, JPEG (personal data; logged)' },
  'GET /api/v1/access-log': { tag: 'operations', summary: 'Who viewed which personal data, newest first (admin)' },
};
