--[[
assemble.lua: builds a document from the chapters that include.lua has
already resolved (one pandoc JSON file each, listed in the metadata field
chapter-json, with their HTML pages in chapter-pages).

  book-mode: index    the table of contents: every chapter's title and
                      sections, linked to the HTML pages
  book-mode: single   every chapter in one document (EPUB, PDF); links
                      between pages become links inside the document
]]

local function read_json(path)
  local f = assert(io.open(path, "rb"))
  local doc = pandoc.read(f:read("a"), "json")
  f:close()
  return doc
end

local function strings(list)
  local t = {}
  for _, v in ipairs(list or {}) do t[#t + 1] = pandoc.utils.stringify(v) end
  return t
end

local function index(docs, pages)
  local items = {}
  for i, doc in ipairs(docs) do
    local title, subs = nil, {}
    for _, b in ipairs(doc.blocks) do
      if b.t == "Header" and b.level == 1 and not title then
        title = pandoc.Link(b.content, pages[i], "", pandoc.Attr("", { "chapter" }))
      elseif b.t == "Header" and b.level == 2 then
        subs[#subs + 1] = { pandoc.Plain({ pandoc.Link(b.content, pages[i] .. "#" .. b.identifier) }) }
      end
    end
    -- the chapter's number is its file's (03-slug.html; A1 for A1-slug.html),
    -- whatever else exists
    local num = pages[i]:match("^0*(%d+)%-") or pages[i]:match("^(A%d*)%-")
    local head = { title }
    if num then
      head = { pandoc.Span({ pandoc.Str(num) }, pandoc.Attr("", { "chapter-number" })), pandoc.Space(), title }
    end
    local item = { pandoc.Plain(head) }
    if #subs > 0 then item[#item + 1] = pandoc.BulletList(subs) end
    items[#items + 1] = item
  end
  if #items == 0 then
    return { pandoc.Para({ pandoc.Str("No chapter is written yet.") }) }
  end
  return { pandoc.Div({ pandoc.BulletList(items) }, pandoc.Attr("contents", { "contents" })) }
end

-- Element types that carry an identifier a link can point at.
local ID_TYPES = { "Header", "Div", "Span", "CodeBlock", "Table" }

local function single(docs, pages)
  -- Each chapter was read on its own, so two chapters can have the same
  -- identifier ("measurements", "proving-it"); in one document the second
  -- would be unreachable and the contents would point at the first.  An
  -- identifier an earlier chapter took gets the page's name in front.
  local first_id, blocks, taken, renamed = {}, {}, {}, {}
  for i, doc in ipairs(docs) do
    local page, map, collect = pages[i], {}, {}
    renamed[page] = map
    for _, t in ipairs(ID_TYPES) do
      collect[t] = function(el)
        local id = el.identifier
        if id and id ~= "" then
          if taken[id] then
            map[id] = page:gsub("%.html$", "") .. "--" .. id
          end
          taken[map[id] or id] = true
        end
      end
    end
    pandoc.walk_block(pandoc.Div(doc.blocks), collect)
    for _, b in ipairs(doc.blocks) do
      if b.t == "Header" and b.level == 1 then
        first_id[page] = map[b.identifier] or b.identifier
        break
      end
    end
  end
  for i, doc in ipairs(docs) do
    local map = renamed[pages[i]]
    local fix = {
      Link = function(el)
        local page, frag = el.target:match("^([^/#:]+%.html)#?(.*)$")
        if page and first_id[page] then
          el.target = "#" .. (frag ~= "" and (renamed[page][frag] or frag) or first_id[page])
          return el
        end
        local own = el.target:match("^#(.+)$")
        if own and map[own] then
          el.target = "#" .. map[own]
          return el
        end
      end,
    }
    for _, t in ipairs(ID_TYPES) do
      fix[t] = function(el)
        if el.identifier and map[el.identifier] then
          el.identifier = map[el.identifier]
          return el
        end
      end
    end
    local d = pandoc.walk_block(pandoc.Div(doc.blocks), fix)
    for _, b in ipairs(d.content) do blocks[#blocks + 1] = b end
  end
  return blocks
end

return {
  {
    Pandoc = function(doc)
      local files = strings(doc.meta["chapter-json"])
      local pages = strings(doc.meta["chapter-pages"])
      local docs = {}
      for i, f in ipairs(files) do docs[i] = read_json(f) end
      local mode = pandoc.utils.stringify(doc.meta["book-mode"] or "")
      if mode == "index" then
        doc.blocks = index(docs, pages)
      elseif mode == "single" then
        doc.blocks = single(docs, pages)
      else
        io.stderr:write("book: assemble.lua: book-mode must be index or single\n")
        os.exit(1)
      end
      doc.meta["chapter-json"] = nil
      doc.meta["chapter-pages"] = nil
      return doc
    end,
  },
}
