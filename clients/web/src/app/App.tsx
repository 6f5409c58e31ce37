import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Route, Routes } from "react-router";

import { Layout } from "./Layout";
import { ROUTES } from "./routes";
import { SessionGate } from "./session";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 1000 },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionGate>
        <Layout>
          <Routes>
            {ROUTES.map(({ path, component: Page }) => (
              <Route key={path} path={path} element={<Page />} />
            ))}
            <Route path="*" element={<p className="empty">No such page.</p>} />
          </Routes>
        </Layout>
        </SessionGate>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
