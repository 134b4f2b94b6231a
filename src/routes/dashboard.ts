// Dashboard: to be written (issue 5).
import { Router } from 'express';

export function dashboardRoutes(): Router {
  return Router();
}
