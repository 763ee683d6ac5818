import type { Random } from '../core/random.ts';

export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹'];
export const GIVEN = ['芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平', '刚', '婷', '浩然', '子涵', '欣怡', '梓萱', '宇轩', '思远', '雨桐', '佳怡', '一诺'];
export const CITIES = ['上海', '北京', '杭州', '深圳', '广州', '成都', '南京', '苏州', '武汉', '重庆', '西安', '长沙', '天津', '青岛', '厦门', '宁波', '郑州', '合肥', '福州', '昆明'];
export const CITY_WEIGHTS = [12, 10, 9, 9, 8, 7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2];

export const CHANNELS = ['小程序商城', '天猫旗舰店', '线下门店', '社群团购'] as const;
export const CHANNEL_WEIGHTS = [40, 30, 20, 10];

interface CategorySpec {
  name: string;
  brand: string;
  items: string[];
  price: [number, number];
  replenishDays: number;
}

export const CATEGORIES: CategorySpec[] = [
  { name: '饮料', brand: '清泉', items: ['气泡水', '无糖乌龙茶', '椰子水', '电解质水', '冷萃咖啡', '柠檬茶', '酸梅汤', '燕麦拿铁'], price: [3.5, 12], replenishDays: 14 },
  { name: '乳品', brand: '牧场时光', items: ['鲜牛奶', '希腊酸奶', '燕麦奶', '奶酪棒', '低脂牛奶', 'A2牛奶', '益生菌酸奶', '儿童成长奶'], price: [6, 45], replenishDays: 10 },
  { name: '零食', brand: '小馋猫', items: ['每日坚果', '海苔脆', '牛肉干', '冻干草莓', '全麦饼干', '鸡胸肉肠', '芒果干', '蛋白棒'], price: [9.9, 69], replenishDays: 21 },
  { name: '个护', brand: '素肌', items: ['氨基酸洗面奶', '洗发水', '沐浴露', '护手霜', '牙膏', '漱口水', '身体乳', '卸妆水'], price: [19.9, 129], replenishDays: 45 },
  { name: '母婴', brand: '贝乐', items: ['婴儿纸尿裤', '湿巾', '婴儿米粉', '奶瓶清洗剂', '儿童牙刷', '婴儿面霜', '辅食泥', '拉拉裤'], price: [29, 199], replenishDays: 30 },
];

export interface Product {
  sku: string;
  name: string;
  category: string;
  brand: string;
  priceFen: number;
  replenishDays: number;
  categoryIndex: number;
}

const SIZES = ['', '（6瓶装）', '（家庭装）', '（便携装）', '（12入）', '（礼盒装）'];

/** 100–300 SKUs spread over the five categories, with prices inside each category's band. */
export function buildCatalogue(random: Random): Product[] {
  const count = random.int(100, 300);
  const products: Product[] = [];
  for (let i = 0; i < count; i++) {
    const categoryIndex = i % CATEGORIES.length;
    const category = CATEGORIES[categoryIndex]!;
    const item = category.items[Math.floor(i / CATEGORIES.length) % category.items.length]!;
    const size = SIZES[Math.floor(i / (CATEGORIES.length * category.items.length)) % SIZES.length]!;
    const [lo, hi] = category.price;
    const yuan = Math.round((lo + random.next() * (hi - lo)) * 10) / 10 - 0.1;
    products.push({
      sku: `SY${String(categoryIndex + 1).padStart(2, '0')}${String(i + 1).padStart(4, '0')}`,
      name: `${category.brand}${item}${size}`,
      category: category.name,
      brand: category.brand,
      priceFen: Math.max(100, Math.round(yuan * 100)),
      replenishDays: category.replenishDays,
      categoryIndex,
    });
  }
  return products;
}
