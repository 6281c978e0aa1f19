--[[
include.lua: the book's pandoc filter.  Nothing in the book is pasted:

  ```{.c kernel="ch2" file="arch/um/drivers/ubd_kern.c" function="do_io"}
  ```
      a C function (or struct=NAME, define=NAME, region=NAME) from a kernel
      tree as build/ch2/ holds it; the tree must be built from the current
      patch series.  occurrence=N picks one of several definitions.
  ```{.c file="code/guest/src/fpcheck.c" region="hold"}
  ```
      the same from a file of the repository (without region/function/...:
      the whole file).  Regions are marked in comments:
      "book: begin NAME" ... "book: end NAME"; marker lines never show.
  ```{.diff patch="0001" file="arch/um/kernel/process.c"}
  ```
      a patch of code/kernel/patches/ (by name or unique prefix; a path
      with a / names any patch in the repository), as a diff; file= keeps
      one file's part; show="message" gives the commit message instead.
  ```{.table csv="images/ch01/exec.csv" columns="target,median=median (us)"
      where="metric=exec,target=ch1|upstream" format="median=%.1f"}
  Caption of the table
  ```
      a table from a results CSV: columns to show (NAME or NAME=Label),
      rows to keep (COLUMN=V1|V2, all must match), printf formats.
      pivot="target=median" spreads one column across: a column of
      median for each target (in the order where= lists the targets),
      one row for each distinct value of the other columns shown.
  ::: exercises
  :::
      the exercises of the chapter (exercises/chNN/*/README.md).
  [ ]{.value csv="images/ch01/exec.csv" where="metric=forkexec,target=ch1"}
      one figure of a results CSV in the text; over="ROW" makes it a
      ratio of two rows (see csv_value below).

Images must exist under images/ (a .dot names the SVG the build renders
from it); links to chapters (NN-slug.md#anchor) and appendices
(AN-slug.md#anchor) become links between the HTML pages; links to files
of the repository must name existing files.  Every heading of an
appendix is unnumbered.

Any problem stops the build with one line on stderr:
  book: FILE: BLOCK: what is wrong; how to fix it
]]

local ROOT = os.getenv("FASTUML_ROOT") or pandoc.system.get_working_directory()
local BOOK = os.getenv("BOOK_SRC") or ROOT -- where chapters/ and images/ are
local KERNELS = os.getenv("BOOK_KERNELS") or (ROOT .. "/build")
local SRCFILE = PANDOC_STATE.input_files[1] or "-"
-- the patch series (common.sh reads the same variable)
local PATCHES = (os.getenv("FASTUML_KERNEL_DIR") or (ROOT .. "/code/kernel")) .. "/patches"

local function rel(path)
  if path:sub(1, #ROOT + 1) == ROOT .. "/" then
    return path:sub(#ROOT + 2)
  end
  return path
end

local function die(what, msg)
  io.stderr:write(string.format("book: %s: %s: %s\n", rel(SRCFILE), what, msg))
  os.exit(1)
end

-- the block as the author wrote it, for messages
local function describe(el)
  local parts = {}
  for _, c in ipairs(el.classes) do
    parts[#parts + 1] = "." .. c
  end
  for k, v in pairs(el.attributes) do
    parts[#parts + 1] = k .. '="' .. v .. '"'
  end
  table.sort(parts, function(a, b)
    -- classes first, then attributes in a fixed order
    local ca, cb = a:sub(1, 1) == ".", b:sub(1, 1) == "."
    if ca ~= cb then return ca end
    return a < b
  end)
  return "{" .. table.concat(parts, " ") .. "}"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function lines_of(text)
  local t = {}
  for l in (text .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("(.-)\n") do
    t[#t + 1] = l
  end
  return t
end

local function safe_relpath(p)
  return p ~= "" and p:sub(1, 1) ~= "/" and not p:find("%.%.")
end

-- --- kernel trees -----------------------------------------------------------

local tree_ok = {}

-- the directory of a built kernel tree whose patches are the series' current ones
local function kernel_tree(what, k)
  if tree_ok[k] then return tree_ok[k] end
  local ch = k:match("^ch([1-7])$")
  if not ch and k ~= "upstream" then
    die(what, 'kernel="' .. k .. '" is not a kernel (ch1..ch7 or upstream)')
  end
  local make = "make kernel CH=" .. (ch or "upstream")
  local dir = KERNELS .. "/" .. k
  local info = read_file(dir .. "/.fastuml/info")
  if not info or not exists(dir .. "/linux") then
    die(what, "kernel " .. k .. " is not built (no " .. rel(dir) .. "/linux): run " .. make)
  end
  local ok, want = pcall(pandoc.pipe, "bash",
    { "-c", '. "$1/code/scripts/common.sh" && target_id "$2"', "-", ROOT, k }, "")
  if not ok then
    die(what, "cannot read the patch series for " .. k .. " (code/kernel/series)")
  end
  want = want:gsub("%s+$", "")
  local have = info:match("id=(%S+)")
  if have ~= want then
    die(what, rel(dir) .. " was built from an older patch series: run " .. make)
  end
  tree_ok[k] = dir
  return dir
end

-- --- finding things in C sources ------------------------------------------

-- index (in text) just after the brace that closes the one at open_at
local function match_brace(text, open_at)
  local depth, i, n = 0, open_at, #text
  while i <= n do
    local c = text:sub(i, i)
    local two = text:sub(i, i + 1)
    if two == "/*" then
      local e = text:find("*/", i + 2, true)
      if not e then return nil end
      i = e + 2
    elseif two == "//" then
      local e = text:find("\n", i, true) or n
      i = e + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n do
        local d = text:sub(j, j)
        if d == "\\" then j = j + 2
        elseif d == c then break
        else j = j + 1 end
      end
      i = j + 1
    else
      if c == "{" then depth = depth + 1
      elseif c == "}" then
        depth = depth - 1
        if depth == 0 then return i + 1 end
      end
      i = i + 1
    end
  end
  return nil
end

-- offsets of the starts of lines
local function line_starts(text)
  local starts, pos = { 1 }, 1
  while true do
    local nl = text:find("\n", pos, true)
    if not nl then break end
    starts[#starts + 1] = nl + 1
    pos = nl + 1
  end
  return starts
end

local function line_at(starts, offset)
  local lo, hi = 1, #starts
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if starts[mid] <= offset then lo = mid else hi = mid - 1 end
  end
  return lo
end

-- skip blanks and comments from i; returns the index of the next significant char
local function skip_space(text, i)
  while true do
    local s = text:match("^%s*()", i)
    i = s
    if text:sub(i, i + 1) == "/*" then
      local e = text:find("*/", i + 2, true)
      if not e then return #text + 1 end
      i = e + 2
    elseif text:sub(i, i + 1) == "//" then
      i = (text:find("\n", i, true) or #text) + 1
    else
      return i
    end
  end
end

-- every definition of kind ("function", "struct", "define") NAME in text:
-- a list of {first line, last line}
local function find_definitions(text, kind, name)
  local lines = lines_of(text)
  local starts = line_starts(text)
  local found = {}
  local esc = name:gsub("%p", "%%%0")
  for ln, l in ipairs(lines) do
    if kind == "define" then
      if l:match("^#%s*define%s+" .. esc .. "[%s(]") or l:match("^#%s*define%s+" .. esc .. "$") then
        local last = ln
        while lines[last]:match("\\%s*$") and lines[last + 1] do last = last + 1 end
        found[#found + 1] = { ln, last }
      end
    elseif kind == "struct" then
      local s = l:match("^()typedef%s+struct%s+" .. esc .. "%f[^%w_]") or
                l:match("^()struct%s+" .. esc .. "%f[^%w_]") or
                l:match("^()union%s+" .. esc .. "%f[^%w_]")
      if s then
        local at = skip_space(text, starts[ln] + #l:match("^[^{;=(]*"))
        if text:sub(at, at) == "{" then
          local e = match_brace(text, at)
          if e then
            local semi = text:find(";", e, true) or e
            found[#found + 1] = { ln, line_at(starts, semi) }
          end
        end
      end
    else -- function
      local pos = l:match("^[%a_][^;=]-%f[%w_]" .. esc .. "%s*()%(") or
                  l:match("^" .. esc .. "%s*()%(") or
                  l:match("^SYSCALL_DEFINE%d()%(" .. esc .. "%f[^%w_]")
      if pos and not l:match("^%s") then
        local open = starts[ln] + pos - 1
        -- the parameter list, then "{" for a definition
        local depth, i = 0, open
        while i <= #text do
          local c = text:sub(i, i)
          if c == "(" then depth = depth + 1
          elseif c == ")" then
            depth = depth - 1
            if depth == 0 then break end
          end
          i = i + 1
        end
        local at = skip_space(text, i + 1)
        if text:sub(at, at) == "{" then
          local e = match_brace(text, at)
          if e then
            local first = ln
            -- the return type may stand on the lines above (kernel style)
            while first > 1 do
              local p = lines[first - 1]
              if p == "" or p:match("[;{}]%s*$") or p:match("%*/%s*$") or
                 p:match("^#") or p:match("^%s") or p:match(",%s*$") then
                break
              end
              first = first - 1
            end
            found[#found + 1] = { first, line_at(starts, e - 1) }
          end
        end
      end
    end
  end
  return found, lines
end

local MARKER = "book:%s*(%a+)%s+([%w_.%-]+)"

-- drop the lines that only carry region markers
local function strip_markers(lines)
  local out = {}
  for _, l in ipairs(lines) do
    if not l:match(MARKER) then out[#out + 1] = l end
  end
  return out
end

local function dedent(lines)
  local common
  for _, l in ipairs(lines) do
    if l:match("%S") then
      local ind = l:match("^[ \t]*")
      if not common or #ind < #common then common = ind end
    end
  end
  if not common or common == "" then return lines end
  local out = {}
  for _, l in ipairs(lines) do
    out[#out + 1] = l:sub(1, #common) == common and l:sub(#common + 1) or l:gsub("^%s+", "")
  end
  return out
end

local function region(what, lines, name, label)
  local b, e
  for i, l in ipairs(lines) do
    local kind, n = l:match(MARKER)
    if n == name then
      if kind == "begin" then
        if b then die(what, "region " .. name .. " begins twice in " .. label) end
        b = i
      elseif kind == "end" then
        if e then die(what, "region " .. name .. " ends twice in " .. label) end
        e = i
      end
    end
  end
  if not b then
    die(what, "no region " .. name .. " in " .. label ..
      ' (mark it with comments "book: begin ' .. name .. '" and "book: end ' .. name .. '")')
  end
  if not e or e < b then die(what, "region " .. name .. " in " .. label .. " has no end marker after its begin") end
  return dedent(strip_markers({ table.unpack(lines, b + 1, e - 1) }))
end

-- --- patches ---------------------------------------------------------------

local function find_patch(what, name)
  if name:find("/") then
    if not safe_relpath(name) or not exists(ROOT .. "/" .. name) then
      die(what, "no patch file " .. name .. " in the repository")
    end
    return ROOT .. "/" .. name, name
  end
  local dir = PATCHES
  local ok, listing = pcall(pandoc.pipe, "ls", { dir }, "")
  if not ok then die(what, "cannot list " .. rel(dir)) end
  local hits = {}
  for f in listing:gmatch("[^\n]+") do
    if f == name then hits = { f } break end
    if f:sub(1, #name) == name and f:match("%.patch$") then hits[#hits + 1] = f end
  end
  if #hits == 0 then
    die(what, "no patch named " .. name .. "* in " .. rel(dir))
  elseif #hits > 1 then
    die(what, "patch " .. name .. " is ambiguous: " .. table.concat(hits, ", ") .. "; give more of the name")
  end
  return dir .. "/" .. hits[1], rel(dir) .. "/" .. hits[1]
end

-- a patch's per-file parts: list of {file=, lines=}; and its message
local function parse_patch(text)
  local lines = lines_of(text)
  local parts, cur, msg, in_msg = {}, nil, {}, false
  local n = #lines
  -- drop git's signature ("-- " then a version) at the end
  for i = n, 1, -1 do
    if lines[i] == "-- " then n = i - 1 break end
    if i < n - 3 then break end
  end
  for i = 1, n do
    local l = lines[i]
    local f = l:match("^diff %-%-git a/(%S+) b/")
    if not f and l:match("^%-%-%- ") and (lines[i + 1] or ""):match("^%+%+%+ ") and
       not (cur and cur.git) then
      f = (lines[i + 1]:match("^%+%+%+ b/(%S+)") or lines[i + 1]:match("^%+%+%+ (%S+)"))
    end
    if f and (l:match("^diff ") or not cur or not cur.git) then
      cur = { file = f, lines = {}, git = l:match("^diff ") ~= nil }
      parts[#parts + 1] = cur
      in_msg = false
    end
    if cur then
      cur.lines[#cur.lines + 1] = l
    else
      local subject = l:match("^Subject: (.*)")
      if subject then
        msg[#msg + 1] = subject:gsub("^%[PATCH[^%]]*%]%s*", "")
        in_msg = true
      elseif in_msg then
        if l == "---" then in_msg = false else msg[#msg + 1] = l end
      end
    end
  end
  return parts, msg
end

-- --- CSV tables -----------------------------------------------------------

local function parse_csv(text)
  local rows, row, field, i, n = {}, {}, "", 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field = field .. '"'; i = i + 1
        else quoted = false end
      else
        field = field .. c
      end
    elseif c == '"' then
      quoted = true
    elseif c == "," then
      row[#row + 1] = field; field = ""
    elseif c == "\n" or c == "\r" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = field; field = ""
      rows[#rows + 1] = row; row = {}
    else
      field = field .. c
    end
    i = i + 1
  end
  if field ~= "" or #row > 0 then
    row[#row + 1] = field
    rows[#rows + 1] = row
  end
  return rows
end

local function split(s, sep)
  local t = {}
  for part in (s .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do
    if part ~= "" then t[#t + 1] = part end
  end
  return t
end

local function csv_table(el, what)
  local a = el.attributes
  local path = a.csv
  if not safe_relpath(path) then die(what, "csv= wants a path inside the book, such as images/ch01/exec.csv") end
  local text = read_file(BOOK .. "/" .. path)
  if not text then
    local ch = path:match("images/ch0*(%d+)/")
    die(what, "no results file " .. path .. (ch and
      (": commit the results of make measure CH=" .. ch .. " (chapters name committed data only)") or ""))
  end
  local rows = parse_csv(text)
  if #rows < 2 then die(what, path .. " has no data rows") end
  local header, index = rows[1], {}
  for i, h in ipairs(header) do index[h] = i end
  local function col(name)
    local i = index[name]
    if not i then
      die(what, path .. " has no column " .. name .. " (it has: " .. table.concat(header, ",") .. ")")
    end
    return i
  end
  -- columns to show
  local cols = {}
  for _, spec in ipairs(split(a.columns or table.concat(header, ","), ",")) do
    local name, label = spec:match("^([^=]+)=(.+)$")
    name = name or spec
    cols[#cols + 1] = { i = col(name), name = name, label = label or name }
  end
  -- filters
  local filters = {}
  for _, f in ipairs(split(a.where or "", ",")) do
    local name, values = f:match("^([^=]+)=(.*)$")
    if not name then die(what, 'where="' .. f .. '" is not COLUMN=VALUE[|VALUE...]') end
    local set, list = {}, split(values, "|")
    for _, v in ipairs(list) do set[v] = true end
    filters[#filters + 1] = { i = col(name), set = set, list = list }
  end
  -- pivot="KEY=VALUE": one column of VALUE for each KEY
  local pivot
  if a.pivot then
    local key, val = a.pivot:match("^([^=]+)=(.+)$")
    if not key then die(what, 'pivot="' .. a.pivot .. '" is not KEY=VALUE, e.g. target=median') end
    pivot = { key = col(key), val = col(val), keys = {} }
    for _, f in ipairs(filters) do
      if f.i == pivot.key then pivot.keys = f.list end
    end
    if #pivot.keys == 0 then die(what, "pivot= needs where= to list the values of " .. key .. " in order") end
    for _, c in ipairs(cols) do
      if c.i == pivot.key or c.i == pivot.val then
        die(what, "pivot= columns (" .. a.pivot .. ") must not be among columns=")
      end
    end
  end
  -- formats
  local formats = {}
  for _, f in ipairs(split(a.format or "", ",")) do
    local name, fmt = f:match("^([^=]+)=(%%.+)$")
    if not name then die(what, 'format="' .. f .. '" is not COLUMN=%FORMAT, e.g. median=%.1f') end
    formats[col(name)] = fmt
  end
  local body, numeric = {}, {}
  for _, c in ipairs(cols) do numeric[c.i] = true end
  local function cell(i, v)
    -- "-" is a results file's "not applicable": shown as it is
    if formats[i] and v ~= "-" then
      local num = tonumber(v)
      if not num then die(what, path .. ": " .. header[i] .. " value '" .. v .. "' is not a number") end
      local ok, s = pcall(string.format, formats[i], num)
      if not ok then die(what, "format " .. formats[i] .. " does not fit a number") end
      v = s
    end
    return { pandoc.Plain({ pandoc.Str(v) }) }
  end
  local groups, order = {}, {}
  for r = 2, #rows do
    local row = rows[r]
    if not (#row == 1 and row[1] == "") then
      if #row ~= #header then
        die(what, string.format("%s: row %d has %d fields, the header %d", path, r, #row, #header))
      end
      local keep = true
      for _, f in ipairs(filters) do
        if not f.set[row[f.i]] then keep = false break end
      end
      if keep then
        local cells, key = {}, {}
        for _, c in ipairs(cols) do
          local v = row[c.i]
          if not tonumber(v) then numeric[c.i] = false end
          cells[#cells + 1] = cell(c.i, v)
          key[#key + 1] = v
        end
        if pivot then
          local k = table.concat(key, "\0")
          if not groups[k] then
            groups[k] = { cells = cells, vals = {} }
            order[#order + 1] = k
          end
          local pk = row[pivot.key]
          if groups[k].vals[pk] then die(what, "two rows of " .. path .. " give " .. pk .. " for one table row") end
          groups[k].vals[pk] = row[pivot.val]
        else
          body[#body + 1] = cells
        end
      end
    end
  end
  if pivot then
    for _, k in ipairs(order) do
      local cells = groups[k].cells
      for _, pk in ipairs(pivot.keys) do
        cells[#cells + 1] = cell(pivot.val, groups[k].vals[pk] or "-")
      end
      body[#body + 1] = cells
    end
  end
  if #body == 0 then die(what, "no row of " .. path .. " matches where=\"" .. (a.where or "") .. '"') end
  local heads, aligns, widths = {}, {}, {}
  for _, c in ipairs(cols) do
    heads[#heads + 1] = { pandoc.Plain({ pandoc.Str(c.label) }) }
    aligns[#aligns + 1] = numeric[c.i] and pandoc.AlignRight or pandoc.AlignLeft
    widths[#widths + 1] = 0
  end
  if pivot then
    for _, pk in ipairs(pivot.keys) do
      heads[#heads + 1] = { pandoc.Plain({ pandoc.Str(pk) }) }
      aligns[#aligns + 1] = pandoc.AlignRight
      widths[#widths + 1] = 0
    end
  end
  local caption = pandoc.read(el.text, "markdown").blocks
  local cap = caption[1] and caption[1].content or {}
  local simple = pandoc.SimpleTable(cap, aligns, widths, heads, body)
  return {
    pandoc.utils.from_simple_table(simple),
    pandoc.Div({ pandoc.Para({ pandoc.Str("Data: "), pandoc.Code(path) }) },
      pandoc.Attr("", { "table-source" })),
  }
end

-- --- figures in the text -------------------------------------------------------
--   [ ]{.value csv="images/ch01/exec.csv" where="metric=forkexec,target=ch1"}
-- becomes the median of the one row that matches (column="min" picks
-- another column; format="%.0f" its printf format, default "%.3g").
-- With over="metric=forkexec,target=native" it is the ratio of the two
-- rows' values instead (default format "%.1f").  No row, or more than one,
-- stops the build: a number in the text always comes from the data.

local function one_row(what, path, rows, index, where)
  local filters = {}
  for _, f in ipairs(split(where, ",")) do
    local name, value = f:match("^([^=]+)=(.*)$")
    if not name then die(what, 'where="' .. f .. '" is not COLUMN=VALUE') end
    if not index[name] then die(what, path .. " has no column " .. name) end
    filters[#filters + 1] = { i = index[name], v = value }
  end
  local found
  for r = 2, #rows do
    local row, keep = rows[r], true
    for _, f in ipairs(filters) do
      if row[f.i] ~= f.v then keep = false break end
    end
    if keep and #row > 1 then
      if found then die(what, "more than one row of " .. path .. ' matches "' .. where .. '"') end
      found = row
    end
  end
  if not found then die(what, "no row of " .. path .. ' matches "' .. where .. '"') end
  return found
end

local function csv_value(el)
  local a, what = el.attributes, describe(el)
  for k in pairs(a) do
    if not (k == "csv" or k == "where" or k == "over" or k == "column" or k == "format") then
      die(what, "unknown attribute " .. k .. " (csv, where, over, column, format)")
    end
  end
  local path = a.csv
  if not path or not safe_relpath(path) then die(what, "csv= wants a results file such as images/ch01/exec.csv") end
  if not a.where then die(what, "where= picks the row, e.g. metric=forkexec,target=ch1") end
  local text = read_file(BOOK .. "/" .. path)
  if not text then die(what, "no results file " .. path .. ": commit the results of make measure") end
  local rows = parse_csv(text)
  local index = {}
  for i, h in ipairs(rows[1] or {}) do index[h] = i end
  local column = a.column or "median"
  if not index[column] then die(what, path .. " has no column " .. column) end
  local function value(where)
    local v = tonumber(one_row(what, path, rows, index, where)[index[column]])
    if not v then die(what, path .. ": the " .. column .. " of " .. where .. " is not a number") end
    return v
  end
  local v, fmt = value(a.where), a.format or "%.3g"
  if a.over then
    local d = value(a.over)
    if d == 0 then die(what, "the row of over= is zero") end
    v, fmt = v / d, a.format or "%.1f"
  end
  local ok, str = pcall(string.format, fmt, v)
  if not ok then die(what, "format " .. fmt .. " does not fit a number") end
  return pandoc.Span({ pandoc.Str(str) }, pandoc.Attr("", { "value" }))
end

-- --- code blocks -------------------------------------------------------------

local KNOWN = { kernel = 1, file = 1, ["function"] = 1, struct = 1, define = 1, region = 1,
                occurrence = 1, patch = 1, show = 1, csv = 1, columns = 1, where = 1, format = 1,
                pivot = 1 }

local function code_block(el)
  local a = el.attributes
  if el.classes:includes("table") and a.csv then
    local what = describe(el)
    for k in pairs(a) do
      if not (k == "csv" or k == "columns" or k == "where" or k == "format" or k == "pivot") then
        die(what, "unknown attribute " .. k .. "= for a CSV table")
      end
    end
    return csv_table(el, what)
  end
  if not (a.kernel or a.file or a.patch) then
    if a.csv then die(describe(el), 'a CSV table is a code block with class .table: ```{.table csv="..."}') end
    return nil
  end
  local what = describe(el)
  for k in pairs(a) do
    if not KNOWN[k] then die(what, "unknown attribute " .. k .. "=") end
  end
  if el.text:match("%S") then
    die(what, "the block has text of its own; the filter fills it (leave it empty)")
  end
  local out, source
  if a.patch then
    local path, shown = find_patch(what, a.patch)
    local parts, msg = parse_patch(read_file(path))
    source = shown
    if a.show == "message" then
      out = msg
      while #out > 0 and out[#out] == "" do out[#out] = nil end
    elseif a.show then
      die(what, 'show="' .. a.show .. '": only show="message" exists')
    else
      out = {}
      local files = {}
      for _, p in ipairs(parts) do
        files[#files + 1] = p.file
        if not a.file or p.file == a.file then
          for _, l in ipairs(p.lines) do out[#out + 1] = l end
        end
      end
      if #parts == 0 then die(what, shown .. " holds no diff") end
      if #out == 0 then
        die(what, shown .. " does not change " .. a.file .. " (it changes: " .. table.concat(files, ", ") .. ")")
      end
      if a.file then source = source .. ", " .. a.file end
    end
  else
    if not a.file or not safe_relpath(a.file) then
      die(what, "file= must name a file by a relative path")
    end
    local base, label
    if a.kernel then
      base = kernel_tree(what, a.kernel)
      label = rel(base) .. "/" .. a.file
    else
      base = ROOT
      label = a.file
    end
    local text = read_file(base .. "/" .. a.file)
    if not text then die(what, "no file " .. label) end
    local kinds = 0
    for _, k in ipairs({ "function", "struct", "define", "region" }) do
      if a[k] then kinds = kinds + 1 end
    end
    if kinds > 1 then die(what, "name one of function=, struct=, define=, region=") end
    source = a.kernel and (a.file .. " (" .. a.kernel .. ")") or a.file
    if a.region then
      out = region(what, lines_of(text), a.region, label)
    elseif a["function"] or a.struct or a.define then
      local kind = a["function"] and "function" or (a.struct and "struct" or "define")
      local name = a[kind]
      local found, lines = find_definitions(text, kind, name)
      if #found == 0 then
        die(what, "no " .. kind .. " " .. name .. " in " .. label .. "; check the name (and the chapter's kernel)")
      end
      local pick = 1
      if #found > 1 then
        if not a.occurrence then
          local at = {}
          for _, f in ipairs(found) do at[#at + 1] = tostring(f[1]) end
          die(what, string.format("%s %s is defined %d times in %s (lines %s): add occurrence=N to pick one",
            kind, name, #found, label, table.concat(at, ", ")))
        end
      end
      if a.occurrence then
        pick = tonumber(a.occurrence)
        if not pick or not found[pick] then
          die(what, string.format("occurrence=%s, but %s %s is defined %d time(s)", a.occurrence, kind, name, #found))
        end
      end
      out = strip_markers({ table.unpack(lines, found[pick][1], found[pick][2]) })
      source = source .. ", " .. name .. (kind == "function" and "()" or "")
    else
      out = strip_markers(lines_of(text))
    end
  end
  -- the block keeps its classes (highlighting) and loses the filter's attributes
  local block = pandoc.CodeBlock(table.concat(out, "\n"), pandoc.Attr(el.identifier, el.classes, {}))
  return pandoc.Div({
    pandoc.Para({ pandoc.Code(source) }),
    block,
  }, pandoc.Attr("", { "listing" }))
end

-- --- exercises, images, links --------------------------------------------------

local function chapter_number()
  return tonumber((SRCFILE:match("([0-9][0-9])%-[^/]*%.md$") or ""), 10)
end

local function exercises_div(el)
  local what = "::: exercises"
  local ch = tonumber(el.attributes.chapter or "") or chapter_number()
  if not ch then die(what, "cannot tell the chapter: name the file NN-slug.md or add chapter=N") end
  local dir = string.format("exercises/ch%02d", ch)
  local ok, listing = pcall(pandoc.pipe, "sh", { "-c", 'ls -d "$1"/*/ 2>/dev/null || true', "-", ROOT .. "/" .. dir }, "")
  local blocks = {}
  for d in (ok and listing or ""):gmatch("[^\n]+") do
    local name = d:gsub("/$", ""):match("([^/]+)$")
    local text = read_file(ROOT .. "/" .. dir .. "/" .. name .. "/README.md")
    if not text then die(what, dir .. "/" .. name .. " has no README.md") end
    local doc = pandoc.read(text, "markdown")
    doc = pandoc.walk_block(pandoc.Div(doc.blocks), {
      Header = function(h)
        h.level = math.min(h.level + 1, 6)
        -- every exercise has "The task" and the like: the exercise's
        -- name keeps their identifiers apart
        if h.identifier ~= "" then h.identifier = name .. "-" .. h.identifier end
        return h
      end,
    })
    for _, b in ipairs(doc.content) do blocks[#blocks + 1] = b end
  end
  if #blocks == 0 then die(what, "chapter " .. ch .. " has no exercises (no " .. dir .. "/*/README.md)") end
  return pandoc.Div(blocks, pandoc.Attr("", { "exercises" }))
end

local function image(el)
  local src = el.src
  if src:match("^%a+:") then
    die("image " .. src, "the book uses no remote images; put the file under images/")
  end
  if not src:match("^images/") or not safe_relpath(src) then
    die("image " .. src, "images live under images/ (a path like images/ch01/exec.svg)")
  end
  if src:match("%.dot$") then
    if not exists(BOOK .. "/" .. src) then die("image " .. src, "no Graphviz source " .. src) end
    el.src = src:gsub("%.dot$", ".svg")
    return el
  end
  if not exists(BOOK .. "/" .. src) then
    local ch = src:match("^images/ch0*(%d+)/[^/]+%.svg$")
    die("image " .. src, "missing: " .. src .. (ch and (" (plots come from make figures; commit them)") or ""))
  end
  return el
end

local function link(el)
  local t = el.target
  if t:match("^%a[%w+.-]*:") or t:match("^#") then return nil end
  local file, frag = t:match("^([^#]*)(#?.*)$")
  local slug = file:match("^(%d%d%-[%w_%-]+)%.md$") or file:match("^chapters/(%d%d%-[%w_%-]+)%.md$")
    or file:match("^(A%d%-[%w_%-]+)%.md$") or file:match("^chapters/(A%d%-[%w_%-]+)%.md$")
  if slug then
    if not exists(BOOK .. "/chapters/" .. slug .. ".md") then
      die("link " .. t, "no chapter chapters/" .. slug .. ".md")
    end
    el.target = slug .. ".html" .. frag
    return el
  end
  if not safe_relpath(file) or not (exists(ROOT .. "/" .. file) or exists(BOOK .. "/" .. file)) then
    die("link " .. t, "no file " .. file .. " in the repository")
  end
  -- a file of the repository: the reader has it; show its name, not a link
  return el.content
end

return {
  {
    CodeBlock = code_block,
    Div = function(el)
      if el.classes:includes("exercises") then return exercises_div(el) end
    end,
    Image = image,
    Link = link,
    Span = function(el)
      if el.classes:includes("value") then return csv_value(el) end
    end,
  },
  {
    -- an appendix (chapters/AN-slug.md) takes no section numbers
    Header = function(h)
      if SRCFILE:match("A%d%-[^/]*%.md$") and not h.classes:includes("unnumbered") then
        h.classes:insert("unnumbered")
        return h
      end
    end,
  },
  {
    Pandoc = function(doc)
      local title
      for _, b in ipairs(doc.blocks) do
        if b.t == "Header" and b.level == 1 then
          title = pandoc.utils.stringify(b.content)
          break
        end
      end
      if not title then die("the text", "no level-1 heading (# Title) to name the chapter") end
      doc.meta["chapter-title"] = pandoc.MetaString(title)
      return doc
    end,
  },
}
