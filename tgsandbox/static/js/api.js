// Calls to the sandbox's /sandbox/api endpoints. Every answer is {ok, result} or {ok:false, error}.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = "GET", body, form, params, signal } = {}) {
  let url = `/sandbox/api/${path}`;
  if (params) url += "?" + new URLSearchParams(params).toString();
  const init = { method, signal, headers: {} };
  if (form) {
    init.body = form;
    init.method = "POST";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
    init.method = method === "GET" ? "POST" : method;
  }
  const resp = await fetch(url, init);
  let data;
  try {
    data = await resp.json();
  } catch (e) {
    throw new ApiError(resp.status, `服务器返回了无法解析的内容（${resp.status}）`);
  }
  if (!data.ok) throw new ApiError(resp.status, data.error || "未知错误");
  return data.result;
}

export const fileUrl = (fileId) => `/sandbox/files/${encodeURIComponent(fileId)}`;
